import Foundation

/// Input files are read only when they are regular files. A FIFO, a terminal or a device such
/// as `/dev/zero` given where a run file, an experiment, a corpus or a manifest is expected would
/// otherwise block the command forever or fill memory; a directory gives a confusing read error.
public enum RegularFile {
    /// Why `path` cannot be read as an input file, or nil when it is a regular file (symbolic
    /// links are followed).
    public static func problem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return String(cString: strerror(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "it is a directory, not a file"
        case S_IFIFO: return "it is a named pipe (FIFO), not a regular file"
        case S_IFCHR, S_IFBLK: return "it is a device, not a regular file"
        case S_IFSOCK: return "it is a socket, not a regular file"
        default: return "it is not a regular file"
        }
    }

    /// The bytes of the regular file at `path`.
    ///
    /// - Throws: `RegularFileError` naming the file when it is not a regular file or cannot be read.
    public static func read(_ path: String) throws -> Data {
        if let problem = problem(path) { throw RegularFileError(path: path, reason: problem) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegularFileError(path: path, reason: "it cannot be read")
        }
        return data
    }
}

/// An input path that is not a readable regular file.
public struct RegularFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
