import Foundation

/// How the lines of a `RunManifest` map onto a Slurm job array: task `t` runs lines
/// `t*pack ..< min((t+1)*pack, runs)` one after another. Packing several short runs into one
/// task keeps the scheduler from being flooded with jobs that last seconds.
public struct SlurmJobArray: Sendable, Equatable {
    /// Manifest lines, at least 1.
    public let runs: Int
    /// Runs per array task, at least 1.
    public let pack: Int

    /// Nil when `runs` or `pack` is below 1.
    public init?(runs: Int, pack: Int) {
        guard runs >= 1, pack >= 1 else { return nil }
        self.runs = runs; self.pack = pack
    }

    /// Number of array tasks: `ceil(runs / pack)`.
    public var taskCount: Int { (runs + pack - 1) / pack }

    /// The manifest lines task `task` runs.
    public func lines(ofTask task: Int) -> Range<Int> {
        let first = min(task * pack, runs)
        return first..<min(first + pack, runs)
    }

    /// The task that runs manifest line `line`.
    public func task(ofLine line: Int) -> Int { line / pack }

    /// The `--array` value: `0-N` (or `0` for a single task), with `%limit` when at most
    /// `limit` tasks may run at once.
    public func arraySpec(limit: Int?) -> String {
        let range = taskCount == 1 ? "0" : "0-\(taskCount - 1)"
        return limit.map { "\(range)%\($0)" } ?? range
    }
}
