import Foundation

// The number formats of every table, report and message: one place, so a figure prints the same
// wherever it appears.

/// An integer with thousands separators: 110592 → "110,592", -1234 → "-1,234".
public func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return value < 0 ? "-" + out : out
}

/// `x` with exactly `digits` decimals ("%.Nf"); NaN as "nan" (never "-nan": a NaN's sign bit
/// means nothing).
public func fixed(_ x: Double, _ digits: Int) -> String { x.isNaN ? "nan" : String(format: "%.\(digits)f", x) }

/// `x` in Swift's shortest round-tripping decimal ("3.25", "inf"); NaN as "nan", as in `fixed`.
public func shortest(_ x: Double) -> String { x.isNaN ? "nan" : "\(x)" }

/// A fraction as a percentage with one decimal: 0.1406 → "14.1%".
public func percent(_ fraction: Double) -> String { fixed(100 * fraction, 1) + "%" }

/// Up to two decimals without trailing zeros: 2.25, 4.5, 16.
public func trimmedDecimal(_ x: Double) -> String {
    var s = fixed(x, 2)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
}

/// `x` rounded to three significant digits (0.0031622… → 0.00316): the precision learning rates
/// are chosen and printed with.
public func roundedToThreeSignificantDigits(_ x: Double) -> Double {
    guard x.isFinite, x != 0 else { return x }
    return Double(String(format: "%.2e", x)) ?? x
}
