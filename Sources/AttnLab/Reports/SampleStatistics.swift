import Foundation

/// Mean, sample standard deviation and range of one figure over seeds.
public struct SampleSummary: Sendable, Equatable, Codable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n - 1 in the denominator); nil for a single value.
    public var std: Double?
    public var min: Double
    public var max: Double

    /// Nil for no values: an empty column has no summary rather than a zero.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        n = values.count
        mean = values.reduce(0, +) / Double(n)
        let m = mean
        std = n < 2 ? nil : (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)).squareRoot()
        min = values.min()!
        max = values.max()!
    }
}

/// A paired comparison of one variant against a baseline over the seeds both were run with:
/// differences variant - baseline, a Student-t 95% interval and a two-sided paired t-test.
public struct PairedComparison: Sendable, Equatable, Codable {
    public var variant: String
    public var baseline: String
    /// Seeds present in both variants, ascending.
    public var seeds: [Int]
    public var differences: [Double]
    public var meanDifference: Double
    public var stdDifference: Double?
    /// The 95% interval of the mean difference; nil when fewer than two pairs.
    public var ciLow: Double?
    public var ciHigh: Double?
    public var t: Double?
    public var p: Double?
    public var n: Int

    /// `pairs` maps seed -> (variant value, baseline value); nil when no seed is shared.
    public init?(variant: String, baseline: String, pairs: [Int: (Double, Double)]) {
        guard !pairs.isEmpty else { return nil }
        self.variant = variant
        self.baseline = baseline
        seeds = pairs.keys.sorted()
        n = seeds.count
        differences = seeds.map { pairs[$0]!.0 - pairs[$0]!.1 }
        let summary = SampleSummary(differences)!
        meanDifference = summary.mean
        stdDifference = summary.std
        guard let sd = summary.std else { return }
        let n = Double(differences.count)
        let halfWidth = Self.halfWidth95(std: sd, n: differences.count)
        ciLow = meanDifference - halfWidth
        ciHigh = meanDifference + halfWidth
        let se = sd / n.squareRoot()
        if se > 0 {
            let t = meanDifference / se
            self.t = t
            p = StudentT.twoSidedP(t, df: n - 1)
        } else {
            // Identical differences: no spread to test against; only an exactly zero shift is
            // consistent with no difference.
            p = meanDifference == 0 ? 1 : 0
        }
    }

    /// Half-width of the 95% Student-t interval of a mean: t_{0.975, n-1} * std / sqrt(n).
    public static func halfWidth95(std: Double, n: Int) -> Double {
        precondition(n >= 2, "an interval needs at least two values")
        return StudentT.quantile(0.975, df: Double(n - 1)) * std / Double(n).squareRoot()
    }
}
