/// An element, byte or FLOP count computed from user-set dimensions. Addition and multiplication
/// saturate at `Int.max` (or `Int.min`) instead of trapping, so a config with absurd dimensions
/// yields a size that validation rejects (`ModelConfig.validate()`) rather than a crash.
struct SaturatingCount: Equatable, Comparable, ExpressibleByIntegerLiteral {
    var value: Int

    init(_ value: Int) { self.value = value }
    init(integerLiteral value: Int) { self.value = value }

    static func + (a: Self, b: Self) -> Self {
        let (sum, overflow) = a.value.addingReportingOverflow(b.value)
        return Self(overflow ? (b.value > 0 ? .max : .min) : sum)
    }

    static func * (a: Self, b: Self) -> Self {
        let (product, overflow) = a.value.multipliedReportingOverflow(by: b.value)
        return Self(overflow ? ((a.value < 0) != (b.value < 0) ? .min : .max) : product)
    }

    static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    /// The product of `factors`, saturated.
    static func product(_ factors: [Int]) -> Self { factors.reduce(1) { $0 * Self($1) } }
}
