import CHDF5
import CHDF5Shim

/// A failed HDF5 operation, named precisely enough to act on without a debugger:
/// which file, which object inside it, what was being done, and why it failed.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    public let filePath: String
    public let objectPath: String
    public let operation: String
    public let reason: String

    public init(filePath: String, objectPath: String, operation: String, reason: String) {
        self.filePath = filePath
        self.objectPath = objectPath
        self.operation = operation
        self.reason = reason
    }

    public var description: String {
        "HDF5 \(operation) failed for '\(objectPath)' in file '\(filePath)': \(reason)"
    }

    /// HDF5's file drivers report OS failures as one long record ("file write failed: time = ...,
    /// filename = ..., errno = 28, error message = 'No space left on device', buf = ...") that
    /// spans lines and names the file as it was first opened; this keeps what a user acts on.
    public static func readableReason(_ reason: String) -> String {
        guard let message = reason.range(of: "error message = '"),
              let end = reason[message.upperBound...].firstIndex(of: "'") else {
            return reason.replacingOccurrences(of: "\n", with: " ")
        }
        let what = reason.prefix { $0 != ":" }
        var errnoText = ""
        if let e = reason.range(of: "errno = ") {
            errnoText = " (errno " + reason[e.upperBound...].prefix { $0.isNumber } + ")"
        }
        return "\(what): \(reason[message.upperBound..<end])\(errnoText)"
    }
}

/// The file and object an operation is about; turns HDF5 status codes into `HDF5Error`s.
struct HDF5Site {
    let filePath: String
    let objectPath: String

    func error(_ operation: String, _ reason: String) -> HDF5Error {
        HDF5Error(filePath: filePath, objectPath: objectPath, operation: operation, reason: reason)
    }

    /// HDF5 reports failure as a negative id or status and leaves details on its error stack.
    func libraryError(_ operation: String) -> HDF5Error {
        var buffer = [CChar](repeating: 0, count: 1024)
        let found = attnlab_h5_take_error_message(&buffer, buffer.count)
        let reason = found != 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "the HDF5 library reported a failure without details"
        return error(operation, HDF5Error.readableReason(reason))
    }

    @discardableResult
    func check(_ id: hid_t, _ operation: String) throws -> hid_t {
        guard id >= 0 else { throw libraryError(operation) }
        return id
    }

    func check(status: herr_t, _ operation: String) throws {
        guard status >= 0 else { throw libraryError(operation) }
    }

    /// Runs `body` on a handle that `open` returns, then closes it with `close` and checks that
    /// too. Closing a dataset writes its cached chunks, so a failed close is lost data (a full
    /// disk shows up exactly there) and throws like any other failure. When `body` throws, its
    /// error wins and the handle is still closed.
    func using<Result>(
        _ open: @autoclosure () throws -> hid_t, close: (hid_t) -> herr_t, _ operation: String,
        _ body: (hid_t) throws -> Result
    ) throws -> Result {
        let handle = try check(open(), operation)
        let result: Result
        do { result = try body(handle) } catch {
            _ = close(handle)
            _ = attnlab_h5_take_error_message(nil, 0)
            throw error
        }
        try check(status: close(handle), operation)
        return result
    }
}
