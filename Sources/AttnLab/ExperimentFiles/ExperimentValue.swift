import Foundation
import TOMLKit

/// A TOML value copied out of TOMLKit's C++-backed tree into plain Swift, so merging, overriding
/// and grid expansion work on Sendable values and never touch TOMLKit's shared node pointers.
indirect enum ExperimentValue: Equatable, Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([ExperimentValue])
    case table([String: ExperimentValue])
    /// Dates and times: valid TOML that no config key accepts; kept only to name it in errors.
    case other(String)

    init(_ node: TOMLValueConvertible) {
        switch node.type {
        case .string: self = .string(node.string ?? "")
        case .int: self = .int(node.int ?? 0)
        case .double: self = .double(node.double ?? 0)
        case .bool: self = .bool(node.bool ?? false)
        case .array: self = .array((node.array.map { Array($0) } ?? []).map(ExperimentValue.init))
        case .table: self = .table(ExperimentValue.dictionary(node.table ?? TOMLTable()))
        case .date, .time, .dateTime: self = .other(node.type.description)
        }
    }

    static func dictionary(_ table: TOMLTable) -> [String: ExperimentValue] {
        var out: [String: ExperimentValue] = [:]
        for (key, value) in table { out[key] = ExperimentValue(value) }
        return out
    }

    /// The TOML type name used in "found ..." messages.
    var typeName: String {
        switch self {
        case .string: return "string"
        case .int: return "integer"
        case .double: return "float"
        case .bool: return "boolean"
        case .array: return "array"
        case .table: return "table"
        case .other(let name): return name
        }
    }

    /// The value as TOML source text: canonical for scalars (what `resolvedTOML` writes), with
    /// Swift's shortest round-tripping spelling for floats.
    var literal: String {
        switch self {
        case .string(let s): return ExperimentValue.quote(s)
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d > 0 ? "inf" : "-inf" }
            return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.literal).joined(separator: ", ") + "]"
        case .table(let t):
            let items = t.keys.sorted().map { "\(ExperimentValue.quote($0)) = \(t[$0]!.literal)" }
            return "{ " + items.joined(separator: ", ") + " }"
        case .other(let name): return "(\(name))"
        }
    }

    /// What a message says was found: scalars as written, containers by kind only.
    var found: String {
        switch self {
        case .array: return "an array"
        case .table: return "a table"
        case .other(let name): return "a \(name)"
        default: return literal
        }
    }

    /// A basic TOML string with the escapes TOML requires.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Leaves (non-table values) by dotted key path, so `a.b = 1`, `[a] b = 1` and
    /// `"a.b" = 1` all mean the same key path; tables merge, everything else replaces.
    static func flatten(_ table: [String: ExperimentValue], prefix: String = "") -> [(String, ExperimentValue)] {
        var out: [(String, ExperimentValue)] = []
        for key in table.keys.sorted() {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if case .table(let sub) = table[key]! {
                out += flatten(sub, prefix: path)
            } else {
                out.append((path, table[key]!))
            }
        }
        return out
    }
}
