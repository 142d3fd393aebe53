import Foundation

/// Published figures shown beside an experiment for orientation. They come from other models
/// trained at other scales, so they are printed in their own tables, labelled as references,
/// and never enter this report's statistics.
public struct ReferenceTable: Sendable, Equatable, Codable {
    public var title: String
    public var source: String
    public var header: [String]
    public var rows: [[String]]
    public var notes: [String]
}

public enum PaperReference {
    public static let label = "paper (reference, not reproduced here)"

    /// The reference tables that match the attention kinds in an experiment: DeepSeek-V2 Table 8
    /// when it compares at least two of MHA, GQA and MQA; Table 9 and the small-scale evidence
    /// when it compares MLA with MHA.
    public static func tables(kinds: Set<String>) -> [ReferenceTable] {
        var out: [ReferenceTable] = []
        if kinds.intersection(["mha", "gqa", "mqa"]).count >= 2 { out.append(table8) }
        if kinds.contains("mla") && kinds.contains("mha") { out += [table9, smallScale] }
        return out
    }

    /// DeepSeek-V2 Table 1's capability column, by attention kind.
    public static func capability(_ kind: String) -> String {
        ["mha": "strong", "gqa": "moderate", "mqa": "weak", "mla": "stronger"][kind] ?? "-"
    }

    // Facts file section 3, DeepSeek-V2 appendix D Table 8: dense 7B models, 1.33T tokens.
    static let table8Kinds = ["MQA", "GQA (8 groups)", "MHA"]
    static let table8Scores: [(String, [Double])] = [
        ("BBH (EM, 3-shot)", [33.2, 35.6, 37.0]), ("MMLU (acc, 5-shot)", [37.9, 41.2, 45.2]),
        ("C-Eval (acc, 5-shot)", [30.0, 37.7, 42.9]), ("CMMLU (acc, 5-shot)", [34.6, 38.4, 43.5]),
    ]

    static var table8: ReferenceTable {
        let orderings = table8Scores.filter { $0.0.hasPrefix("MMLU") || $0.0.hasPrefix("BBH") }.map { name, scores in
            let ranked = zip(table8Kinds, scores).sorted { $0.1 > $1.1 }
            return "\(name.split(separator: " ")[0]): " + ranked.map { "\($0.0) \(fixed($0.1, 1))" }.joined(separator: " > ")
        }
        return ReferenceTable(
            title: "DeepSeek-V2 Table 8: dense MHA, GQA and MQA at 7B, \(label)",
            source: "DeepSeek-V2 (arXiv 2405.04434) appendix D Table 8, 1.33T tokens; AttnLab reference facts section 3",
            header: [""] + table8Kinds,
            rows: [["params", "7.1B", "6.9B", "6.9B"]] + table8Scores.map { [$0.0] + $0.1.map { fixed($0, 1) } },
            notes: ["Paper ordering (higher is better): " + orderings.joined(separator: "; ") + "."])
    }

    // Facts file section 3, Table 9: MoE models; KV figures come from the KV presets so they are
    // computed by the same formulas as this experiment's.
    static let table9Scores: [(String, [Double])] = [
        ("BBH", [37.9, 39.0, 46.6, 50.7]), ("MMLU", [48.7, 50.0, 57.5, 59.0]),
        ("C-Eval", [51.6, 50.9, 57.9, 59.2]), ("CMMLU", [52.3, 53.4, 60.7, 62.5]),
    ]

    static var table9: ReferenceTable {
        let models = ["dsv2-small-mha", "dsv2-small-mla", "dsv2-large-mha", "dsv2-large-mla"].map { try! KVPresets.named($0) }
        return ReferenceTable(
            title: "DeepSeek-V2 Table 9: MLA vs MHA in MoE models, \(label)",
            source: "DeepSeek-V2 (arXiv 2405.04434) appendix D Table 9 (small: 1.33T tokens, large: 420B); AttnLab reference facts section 3; KV figures from `attnlab kv` presets",
            header: ["", "small MHA", "small MLA", "large MHA", "large MLA"],
            rows: [
                ["activated params", "2.5B", "2.4B", "25.0B", "21.5B"],
                ["total params", "15.8B", "15.7B", "250.8B", "247.4B"],
                ["KV cache per token (elements)"] + models.map { "\(grouped($0.kvElementsPerToken)) (\(fixed(Double($0.kvElementsPerToken) / 1000, 1))K)" },
                ["KV cache vs MHA"] + models.map { percent($0.ratioToMHA) },
            ] + table9Scores.map { [$0.0] + $0.1.map { fixed($0, 1) } },
            notes: ["The paper states MLA needs 14% (small) and 4% (large) of MHA's cache; the KV rows above recompute this from Table 1's formulas."])
    }

    // Facts file section 5: Jianlin Su (kexue.fm 10907), ~0.9B parameters, 16B tokens.
    static let suResults: [(String, Double, Int)] = [
        ("MHA", 2.721, 4096), ("MLA", 2.721, 576), ("GQA2-128", 2.75, 512), ("GQA1-256", 2.72, 512), ("MLA-256", 2.705, 576),
    ]

    static var smallScale: ReferenceTable {
        let mhaKV = suResults[0].2
        return ReferenceTable(
            title: "Small-scale evidence: MLA, GQA and MHA at about 0.9B, \(label)",
            source: "Jianlin Su, kexue.fm 10907 (~0.9B params, 16B tokens); AttnLab reference facts section 5",
            header: ["model", "loss", "KV cache per token (elements)", "KV vs MHA"],
            rows: suResults.map { [$0.0, fixed($0.1, 3), grouped($0.2), percent(Double($0.2) / Double(mhaKV))] },
            notes: ["Other small studies (facts section 5): MLA + RoPE at rank d/2 cut KV 45% for about +0.3% val loss "
                    + "(arXiv 2506.09342, 30M GPT); small-scale differences are within seed noise unless intervals say otherwise."])
    }
}


