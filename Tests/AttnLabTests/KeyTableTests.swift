import AttnLab
import Foundation
import Testing

/// experiments/README.md's key table is held to the schema: the same keys in the same order,
/// each with the type and default the schema and `ExperimentConfig()` give.
@Suite struct KeyTableTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("experiments/README.md")

    /// (path, type, default) of every row under a `[section]` row, up to `[[variants]]`.
    static func documentedRows(_ text: String) -> [ExperimentKeyDocumentation] {
        var rows: [ExperimentKeyDocumentation] = []
        var section: String?
        for line in text.split(separator: "\n").map(String.init) where line.hasPrefix("| ") {
            let cells = line.dropFirst(2).components(separatedBy: " | ").map { $0.trimmingCharacters(in: .whitespaces) }
            if let header = cells.first, header.hasPrefix("**`[") {
                let name = header.trimmingCharacters(in: CharacterSet(charactersIn: "*`[]"))
                if header.hasPrefix("**`[[") || name == "grid" { break }
                section = name
                continue
            }
            guard let section, cells.count >= 3, cells[0].hasPrefix("`") else { continue }
            rows.append(ExperimentKeyDocumentation(
                path: section + "." + cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")),
                type: cells[1], defaultValue: cells[2]))
        }
        return rows
    }

    @Test func readmeKeyTableIsTheSchema() throws {
        let documented = Self.documentedRows(try String(contentsOf: Self.readme, encoding: .utf8))
        let schema = ExperimentKeyDocumentation.all
        #expect(documented.map(\.path) == schema.map(\.path))
        for (row, field) in zip(documented, schema) where row.path == field.path {
            #expect(row == field, "experiments/README.md row for \(row.path)")
        }
    }

    @Test func aDriftedRowIsCaught() {
        let table = """
            | **`[model]`** | | | |
            | `vocab_size` | int >= 1 | 255 | embedding rows |
            """
        let rows = Self.documentedRows(table)
        #expect(rows.map(\.path) == ["model.vocab_size"])
        #expect(rows[0] != ExperimentKeyDocumentation.all[0])
    }
}
