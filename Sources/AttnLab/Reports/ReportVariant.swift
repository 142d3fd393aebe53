import Foundation

/// Runs of one experiment that differ only in their seed.
public struct ReportVariant: Sendable {
    public var name: String
    public var attention: String
    /// Every run of the variant, ascending by seed.
    public var runs: [RunRecord]
    /// The runs that finished: only these enter statistics and plots, so a diverged or still
    /// running seed cannot drag a mean.
    public var finished: [RunRecord] { runs.filter { $0.status == .finished } }

    /// Groups runs into variants: MHA first (the baseline of every comparison), then GQA, MQA,
    /// MLA, then by name, so the order depends on nothing but the files' contents.
    /// Runs of another experiment than `primary` (included for comparison) are named
    /// `experiment/variant`.
    public static func group(_ runs: [RunRecord], primary: String? = nil) -> [ReportVariant] {
        let named = runs.map { r in (primary == nil || r.experiment == primary ? r.run : "\(r.experiment)/\(r.run)", r.config) }
        let groups = VariantGrouping.group(named, fallback: { runs[$0].attention })
        let kindOrder = AttentionKind.allCases.map(\.rawValue)
        return groups.map { g in
            let members = g.members.map { runs[$0] }.sorted { ($0.seed, $0.fileName) < ($1.seed, $1.fileName) }
            return ReportVariant(name: g.name, attention: members[0].attention, runs: members)
        }.sorted { a, b in
            let ka = kindOrder.firstIndex(of: a.attention) ?? kindOrder.count
            let kb = kindOrder.firstIndex(of: b.attention) ?? kindOrder.count
            return (ka, a.name) < (kb, b.name)
        }
    }
}
