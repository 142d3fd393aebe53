import Foundation

/// One model size of the ladder: its budget and each variant's paired gap to the baseline.
public struct LadderSize: Sendable, Equatable, Codable {
    public var experiment: String
    /// "pending: k of n runs finished" (or no file yet); nil when every run finished.
    public var pending: String?
    /// Parameters per variant (baseline included), from the run files; empty while pending.
    public var parameters: [String: Int]
    /// Training tokens of the baseline's runs (steps × tokens per step).
    public var tokens: Int?
    /// `tokens` / the baseline's parameters.
    public var tokensPerParameter: Double?
    /// The baseline's finished seeds.
    public var seeds: [Int]
    /// Final validation loss, variant − baseline, paired by seed; one per variant that has pairs.
    public var gaps: [PairedComparison]
}

/// The size ladder: the MLA vs MHA vs GQA gap (each variant − baseline, final validation loss)
/// against the baseline's parameter count, one experiment per size.
public struct SizeLadderReport: Sendable, Equatable, Codable {
    public var title: String
    public var protocolLabel: String
    public var baseline: String
    public var variants: [String]
    /// Finished sizes by ascending baseline parameters, then pending ones in file order.
    public var sizes: [LadderSize]
    /// Per variant, whether the gap's interval at the largest size differs from the smallest's.
    public var trend: [String]

    init(_ spec: SizeLadderSpec, runs: [VerdictExperimentRuns]) {
        title = spec.title
        protocolLabel = spec.protocolLabel
        baseline = spec.baseline
        variants = spec.variants
        let all = runs.map { r -> LadderSize in
            guard r.allFinished, let base = r.variants[spec.baseline] else {
                return LadderSize(experiment: r.name, pending: r.pendingText ?? "pending: no run of `\(spec.baseline)`",
                                  parameters: [:], tokens: nil, tokensPerParameter: nil, seeds: [], gaps: [])
            }
            let first = base.runs[0]
            let tokens = first.config.train.steps * first.tokensPerStep
            var parameters: [String: Int] = [:]
            for name in [spec.baseline] + spec.variants { if let v = r.variants[name] { parameters[name] = v.runs[0].parameters } }
            return LadderSize(experiment: r.name, pending: nil, parameters: parameters, tokens: tokens,
                              tokensPerParameter: Double(tokens) / Double(first.parameters), seeds: base.finished.map(\.seed),
                              gaps: spec.variants.compactMap { r.comparison($0, against: spec.baseline) })
        }
        let done = all.filter { $0.pending == nil }.sorted { ($0.parameters[spec.baseline]!, $0.experiment) < ($1.parameters[spec.baseline]!, $1.experiment) }
        sizes = done + all.filter { $0.pending != nil }
        trend = spec.variants.map { Self.trend(variant: $0, baseline: spec.baseline, sizes: done, total: all.count) }
    }

    /// The sentence for one variant: compares the 95% intervals at the smallest and largest
    /// finished sizes that have one.
    static func trend(variant: String, baseline: String, sizes: [LadderSize], total: Int) -> String {
        let withInterval = sizes.compactMap { s -> (LadderSize, Double, Double)? in
            guard let g = s.gaps.first(where: { $0.variant == variant }), let lo = g.ciLow, let hi = g.ciHigh else { return nil }
            return (s, lo, hi)
        }
        let lead = "`\(variant)` − `\(baseline)`: "
        guard let small = withInterval.first, let large = withInterval.last, withInterval.count >= 2 else {
            return lead + "\(withInterval.count) of \(total) sizes have a finished interval; at least 2 are needed, so no trend can be assessed yet."
        }
        func at(_ s: (LadderSize, Double, Double)) -> String {
            "\(s.0.experiment) (\(grouped(s.0.parameters[baseline]!)) parameters, [\(ReportMarkdown.signed(s.1, 4)), \(ReportMarkdown.signed(s.2, 4))])"
        }
        let pair = "the 95% intervals at the smallest size, \(at(small)), and the largest, \(at(large)),"
        if large.1 > small.2 { return lead + "\(pair) do not overlap: the gap (variant − baseline) is higher at the largest size." }
        if large.2 < small.1 { return lead + "\(pair) do not overlap: the gap (variant − baseline) is lower at the largest size." }
        return lead + "\(pair) overlap: no trend can be claimed."
    }
}
