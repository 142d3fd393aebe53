import Foundation

/// File handling shared by the exporters: an output folder is created if missing, and no file
/// in it is ever replaced (a second export into the same folder is refused before anything is
/// written, see `requireAbsent`).
enum ExportFiles {
    /// Creates `folder` (and its parents) when missing and refuses when any of `names` already
    /// exists in it.
    ///
    /// - Throws: `ExportError` naming the first existing file, or when the folder cannot be made.
    static func prepare(_ folder: String, names: [String]) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ExportError("cannot create the output folder \(folder): \(error.localizedDescription)")
        }
        for name in names where FileManager.default.fileExists(atPath: folder + "/" + name) {
            throw ExportError("\(folder)/\(name) already exists; export into an empty folder (nothing was written)")
        }
    }

    /// Writes `data` to a new file at `path`.
    ///
    /// - Throws: `ExportError` when the file exists or the write fails (with the OS reason).
    static func write(_ data: Data, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw ExportError("\(path) already exists; nothing was written") }
        do { try data.write(to: URL(fileURLWithPath: path), options: .withoutOverwriting) } catch {
            throw ExportError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
