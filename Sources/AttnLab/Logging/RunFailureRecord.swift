import Foundation

/// Why a run failed, kept beside its run file as `<run>.h5.failed` so that `attnlab sweep
/// --status` can tell a failed run from one that never started: a run that fails before its
/// HDF5 file exists (a missing data file, a config error) leaves no other trace in the results
/// folder, and a batch system's accounting is not always available.
///
/// Written by `ManifestRun` and by sweep children that fail; removed when the run later
/// finishes or is skipped as finished. `attnlab report` reads only `*.h5` and ignores it.
public struct RunFailureRecord: Sendable, Equatable {
    /// The run file the record belongs to.
    public var runPath: String
    /// One line: what failed (exit code, the error message).
    public var reason: String
    /// When the failure was recorded.
    public var date: Date

    public init(runPath: String, reason: String, date: Date = Date()) {
        self.runPath = runPath; self.reason = reason; self.date = date
    }

    /// `<run>.h5.failed` for `<run>.h5`.
    public static func path(for runPath: String) -> String { runPath + ".failed" }

    /// Writes the record (atomically), replacing an older one: "ISO-8601 date TAB reason".
    public func write() throws {
        let line = ISO8601DateFormatter().string(from: date) + "\t" + reason.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n"
        try line.write(toFile: RunFailureRecord.path(for: runPath), atomically: true, encoding: .utf8)
    }

    /// The record for `runPath`, or nil when there is none (or it does not parse).
    public static func read(runPath: String) -> RunFailureRecord? {
        guard let text = try? String(contentsOfFile: path(for: runPath), encoding: .utf8) else { return nil }
        let parts = text.trimmingCharacters(in: .newlines).split(separator: "\t", maxSplits: 1).map(String.init)
        guard parts.count == 2, let date = ISO8601DateFormatter().date(from: parts[0]) else { return nil }
        return RunFailureRecord(runPath: runPath, reason: parts[1], date: date)
    }

    /// Removes the record for `runPath` if there is one.
    public static func remove(runPath: String) {
        unlink(path(for: runPath))
    }
}
