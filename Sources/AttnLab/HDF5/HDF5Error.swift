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
        return error(operation, reason)
    }

    @discardableResult
    func check(_ id: hid_t, _ operation: String) throws -> hid_t {
        guard id >= 0 else { throw libraryError(operation) }
        return id
    }

    func check(status: herr_t, _ operation: String) throws {
        guard status >= 0 else { throw libraryError(operation) }
    }
}
