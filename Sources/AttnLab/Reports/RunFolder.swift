import Foundation

/// A run file a folder-wide command could not use, and why.
public struct UnreadableRunFile: Sendable, Equatable {
    public var path: String
    public var reason: String
}

/// The run files of one or more experiments' result folders, read with `read` in the order of
/// their paths. A file that
/// cannot be read (damaged, cut short, not a run file) does not stop the others: it is returned
/// in `unreadable` with its reason, for the command to name and the table to mention.
///
/// - Throws: `RunFileError` when a folder is missing, holds no `*.h5` files, or none of the
///   files could be read (each named with its reason).
func readRunFolders<Run>(
    _ experiments: [String], resultsDirectory: URL, hint: String, _ read: (String) throws -> Run
) throws -> (runs: [Run], unreadable: [UnreadableRunFile]) {
    var paths: [String] = []
    for name in experiments {
        let dir = resultsDirectory.appendingPathComponent(name)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            throw RunFileError("\(dir.path): no such results folder; run `\(hint) \(name)` first")
        }
        let files = names.filter { $0.hasSuffix(".h5") }.map { dir.appendingPathComponent($0).path }
        guard !files.isEmpty else { throw RunFileError("\(dir.path): no .h5 run files") }
        paths += files
    }
    var runs: [Run] = []
    var unreadable: [UnreadableRunFile] = []
    for path in paths.sorted() {
        do { runs.append(try read(path)) } catch {
            unreadable.append(UnreadableRunFile(path: path, reason: "\(error)"))
        }
    }
    if runs.isEmpty {
        throw RunFileError("no readable run files:\n" + unreadable.map { "  \($0.path): \($0.reason)" }.joined(separator: "\n"))
    }
    return (runs, unreadable)
}

/// The note a table carries when files were left out, so it never silently shows fewer runs.
func unreadableNote(_ unreadable: [UnreadableRunFile]) -> String {
    guard !unreadable.isEmpty else { return "" }
    return "\n**Left out: \(unreadable.count) unreadable run file\(unreadable.count == 1 ? "" : "s")** (the table above is without them):\n\n"
        + unreadable.map { "- `\($0.path)`: \($0.reason.replacingOccurrences(of: "\n", with: " "))\n" }.joined()
}
