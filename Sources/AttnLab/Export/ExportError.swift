/// Why `attnlab export` wrote nothing: a run it cannot export exactly (a variant or setting with
/// no exact counterpart in the target format), a missing checkpoint, or an existing output file.
public struct ExportError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}
