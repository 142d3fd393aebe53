/// A JSON value whose objects keep their key order, for the files `attnlab export` writes
/// (`config.json`, the safetensors header, `tokenizer.json`): the order is the one a reader
/// sees, and equal inputs give byte-identical files.
public indirect enum ExportJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A finite number, written as Swift's shortest round-trip form (`1e-05`, `10000.0`).
    case double(Double)
    case string(String)
    case array([ExportJSON])
    case object([(String, ExportJSON)])

    public static func == (a: ExportJSON, b: ExportJSON) -> Bool { a.text() == b.text() }

    /// The value as JSON text; `indent` > 0 puts each array element and object member on its
    /// own line, indented by that many spaces per level.
    public func text(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    /// The member `key` of an object, nil for other values or a missing key.
    public subscript(key: String) -> ExportJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        func pad(_ l: Int) -> String { String(repeating: " ", count: indent * l) }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            precondition(d.isFinite, "JSON has no literal for \(d)")
            out += "\(d)"
        case .string(let s): out += Self.quoted(s)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad(level + 1)
                item.write(into: &out, indent: indent, level: level + 1)
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{" + newline
            for (i, (key, value)) in members.enumerated() {
                out += pad(level + 1) + Self.quoted(key) + (indent > 0 ? ": " : ":")
                value.write(into: &out, indent: indent, level: level + 1)
                out += (i + 1 < members.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything
    /// else kept as UTF-8. TOML's basic-string escapes are a subset of JSON's, so this is the
    /// quoting the config writer uses.
    public static func quoted(_ s: String) -> String { ExperimentValue.quote(s) }
}
