/// Every failure in the data layer carries one sentence that names the file (or source), the
/// field and the value that was expected, so a user can fix the input without reading code.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
