import Foundation

/// Why an experiment could not be loaded: one line per problem, each naming where it is (the
/// file, or `--set`), the key path, what was expected and what was found.
public struct ExperimentError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let messages: [String]

    public init(_ messages: [String]) { self.messages = messages }
    init(_ message: String) { self.messages = [message] }

    public var description: String { messages.joined(separator: "\n") }
    public var errorDescription: String? { description }
}
