import Foundation

/// A rejected model setting. `key` is the snake_case path a user writes in a TOML config file,
/// so the message points at the line to fix rather than at a Swift property name.
public struct ModelConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let expected: String
    public let found: String

    public init(key: String, expected: String, found: String) {
        self.key = key
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(key): expected \(expected), found \(found)" }
}

// Some front ends (ArgumentParser among them) prefer `errorDescription` when it exists.
extension ModelConfigError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Parses a config or command-line word into one of an enum's cases, naming the valid spellings
/// (and the key) when it fails.
func parseConfigWord<E: CaseIterable & RawRepresentable>(_ text: String, key: String) throws -> E where E.RawValue == String {
    guard let value = E(rawValue: text.lowercased()) else {
        throw ModelConfigError(
            key: key, expected: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "), found: "\"\(text)\"")
    }
    return value
}

extension AttentionKind {
    public static func parse(_ text: String, key: String = "model.attention.kind") throws -> AttentionKind {
        try parseConfigWord(text, key: key)
    }
}

extension QueryCompression {
    public static func parse(_ text: String, key: String = "model.attention.query_compression") throws -> QueryCompression {
        try parseConfigWord(text, key: key)
    }
}

extension ModelConfig {
    /// Largest accepted value of every model dimension (vocabulary, widths, head counts, layers,
    /// context): 2^20 = 1,048,576. Far above anything trainable on a CPU, and small enough that
    /// single products of dimensions stay far from `Int` overflow.
    public static let dimensionLimit = 1 << 20

    /// Largest accepted parameter count: 2^40 (about 1.1 trillion, 4 TiB of float32 weights).
    public static let parameterLimit = 1 << 40

    static func requireDimension(_ value: Int, _ key: String, minimum: Int = 1) throws {
        guard value >= minimum, value <= dimensionLimit else {
            throw ModelConfigError(key: key, expected: "an integer in [\(minimum), \(dimensionLimit)]", found: "\(value)")
        }
    }
}
