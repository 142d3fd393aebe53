import Foundation

/// Renders KV-cache figures as a per-model listing, an aligned text table or a Markdown table.
public enum KVTable {
    /// One block per model, every figure labelled; the default `attnlab kv` output.
    public static func text(_ models: [KVModel]) -> String {
        models.map(block).joined(separator: "\n\n")
    }

    private static func block(_ m: KVModel) -> String {
        let bytes = KVPrecision.allCases
            .map { "\($0.rawValue) \(grouped(m.bytesPerToken($0))) B" }
            .joined(separator: ", ")
        let lines: [(String, String)] = [
            ("source", m.source),
            ("formula", "\(m.formula) = \(m.substitutedFormula)"),
            ("per token per layer", "\(grouped(m.kvElementsPerTokenPerLayer)) elements"),
            ("per token", "\(grouped(m.kvElementsPerToken)) elements"),
            ("bytes per token", bytes),
            ("vs MHA", ratioText(m)),
            ("GQA equivalent", groupsText(m)),
        ]
        let width = lines.map(\.0.count).max() ?? 0
        let body = lines.map { "  " + pad($0.0 + ":", width + 1) + "  " + $0.1 }
        return (["\(m.name): \(m.shapeSummary)"] + body).joined(separator: "\n")
    }

    private static let headers = [
        "model", "attention", "formula", "elem/token/layer", "elem/token", "fp32 B", "bf16 B", "fp8 B",
        "vs MHA", "GQA groups",
    ]
    /// Columns holding figures, right-aligned in the text table.
    private static let numeric: Set<Int> = [3, 4, 5, 6, 7, 8, 9]

    private static func row(_ m: KVModel) -> [String] {
        [
            m.name, m.shapeSummary, m.substitutedFormula, grouped(m.kvElementsPerTokenPerLayer),
            grouped(m.kvElementsPerToken),
        ] + KVPrecision.allCases.map { grouped(m.bytesPerToken($0)) }
            + ["\(percent(m.ratioToMHA)) of \(m.baseline.label)", decimal(m.equivalentGQAGroups)]
    }

    /// Space-aligned columns for terminals.
    public static func plainTable(_ models: [KVModel]) -> String {
        let rows = [headers] + models.map(row)
        let widths = headers.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { cells in
            cells.enumerated().map { c, cell in
                numeric.contains(c) ? padLeft(cell, widths[c]) : pad(cell, widths[c])
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    public static func markdown(_ models: [KVModel]) -> String {
        let align = headers.indices.map { numeric.contains($0) ? "---:" : "---" }
        let rows = [headers, align] + models.map(row)
        return rows.map { "| " + $0.map(escapePipes).joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    /// 15552 -> "15,552", independent of the process locale so output is reproducible.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    private static func ratioText(_ m: KVModel) -> String {
        if m.attention.kind == .mha, m.kvElementsPerToken == m.baseline.kvElementsPerToken {
            return "100% (this is the MHA baseline)"
        }
        return "\(percent(m.ratioToMHA)) of \(m.baseline.label) (\(grouped(m.baseline.kvElementsPerToken)) elements)"
    }

    private static func groupsText(_ m: KVModel) -> String {
        let perLayer = m.kvElementsPerTokenPerLayer, dh = m.baseline.headDim
        let groups = decimal(m.equivalentGQAGroups)
        let lhs = m.attention.kind == .mla ? "(d_c + d_R) / (2 d_h)" : "elements per layer / (2 d_h)"
        return "\(groups) groups of d_h \(dh): \(lhs) = \(grouped(perLayer)) / \(grouped(2 * dh)) = \(groups)"
    }

    private static func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

    /// Up to two decimals without trailing zeros: 2.25, 4.5, 16.
    private static func decimal(_ x: Double) -> String {
        var s = String(format: "%.2f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }

    private static func padLeft(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    private static func escapePipes(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
