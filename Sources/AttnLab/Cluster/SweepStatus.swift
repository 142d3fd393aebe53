import Foundation

/// Where one run of an experiment stands, for `attnlab sweep NAME --status`.
public enum SweepRunState: String, Sendable, Equatable, CaseIterable {
    /// Finished with the config the experiment resolves to now.
    case finished
    /// Some process holds the run file's lock (`RunFileLock`), or Slurm runs the run's task
    /// and the file is being created.
    case running
    /// Stopped (Ctrl-C, SIGTERM, time limit, killed) and not running: the next sweep or
    /// manifest run resumes it from its checkpoint, or restarts it without one.
    case interrupted
    /// The loss or gradients became NaN/Inf; not retried.
    case diverged
    /// The last attempt failed (`RunFailureRecord`, or Slurm reports the task failed), the file
    /// is unreadable, or it was written by a different config.
    case failed
    /// No run file and no failure: not started yet (perhaps queued).
    case missing
}

/// One line of `--status`.
public struct SweepRunStatus: Sendable, Equatable {
    public var run: String
    public var state: SweepRunState
    /// Why, in a few words: step, failure reason, Slurm task and state.
    public var detail: String
    public init(run: String, state: SweepRunState, detail: String) { self.run = run; self.state = state; self.detail = detail }
}

/// Decides a run's state from its file (`sweepFileState`), its failure record and what Slurm
/// says about the array task of its most recent submission. Pure. The file decides first: a
/// held lock is `running` whatever else is known; a finished or diverged file is final. Slurm
/// only speaks for runs whose file does not settle it.
public func classifySweepRun(_ run: String, file: SweepFileState, failure: RunFailureRecord?, task: SlurmTaskState?) -> SweepRunStatus {
    let slurm = task.map { "slurm task \($0.name) \($0.state)" + ($0.detail.isEmpty ? "" : " (\($0.detail))") }
    func with(_ text: String) -> String { [text, slurm].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "; ") }
    func failed(_ why: String) -> SweepRunStatus {
        // A failed run queued again (a re-submission) is still failed until it starts.
        SweepRunStatus(run: run, state: .failed, detail: with(why + (task?.isActive == true ? "; resubmitted" : "")))
    }
    switch file {
    case .unreadable(let reason, let writer):
        if let writer { return SweepRunStatus(run: run, state: .running, detail: with("file being created by \(writer)")) }
        return failed("unreadable run file (\(reason)); the next run restarts it")
    case .present(let f):
        if let writer = f.writer { return SweepRunStatus(run: run, state: .running, detail: with("step \(f.step), \(writer)")) }
        guard f.configMatches else {
            return failed("file written by a different configuration"
                          + (f.configDifferences.isEmpty ? "" : " (" + f.configDifferences.joined(separator: "; ") + ")"))
        }
        switch f.status {
        case .finished: return SweepRunStatus(run: run, state: .finished, detail: "step \(f.step)")
        case .diverged: return SweepRunStatus(run: run, state: .diverged, detail: "at step \(f.step)")
        case .interrupted, .running:
            if let failure { return failed(failure.reason) }
            if let task, task.isFailure, task.state != "TIMEOUT", task.state != "CANCELLED", task.state != "PREEMPTED" {
                return failed("stopped at step \(f.step)")
            }
            let how = f.status == .running ? "killed at step \(f.step)" : "stopped at step \(f.step)"
            let next = f.checkpointStep.map { "resumes from step \($0)" }
                ?? f.noCheckpointReason.map { "no usable checkpoint (\($0)): restarts" } ?? "no checkpoint: restarts"
            return SweepRunStatus(run: run, state: .interrupted, detail: with("\(how), \(next)"))
        }
    case .missing:
        if let failure { return failed(failure.reason) }
        guard let task else { return SweepRunStatus(run: run, state: .missing, detail: "not started") }
        if task.isFailure { return failed("no run file") }
        if task.state == "COMPLETED" { return failed("task completed without writing the run file") }
        return SweepRunStatus(run: run, state: .missing, detail: with(task.state == "PENDING" ? "queued" : "waiting in its task"))
    }
}

/// `attnlab sweep NAME --status`: every run's state, from the run files and failure records in
/// `<results>/<NAME>/` and, when `askSlurm` and the experiment has submissions
/// (`SlurmSubmission.submitted`), from `squeue`/`sacct`.
public struct SweepStatusReport: Sendable {
    public var experiment: String
    public var runs: [SweepRunStatus]
    /// What could not be asked (no squeue, accounting disabled...).
    public var notes: [String]

    public init(experiment: String, runs: [SweepRunStatus], notes: [String]) {
        self.experiment = experiment; self.runs = runs; self.notes = notes
    }

    /// Reads the files (and Slurm) for every run of `experiment`.
    public init(experiment: Experiment, resultsDirectory: URL, askSlurm: Bool = true) {
        var taskOfRun: [String: SlurmTaskState] = [:]
        var notes: [String] = []
        if askSlurm {
            // Oldest first, so the newest submission of a run is the one that counts.
            for submission in SlurmSubmission.submitted(resultsDirectory: resultsDirectory, experiment: experiment.name) {
                guard let id = submission.jobID else { continue }
                let (states, queryNotes) = SlurmTaskState.query(jobID: id)
                notes += queryNotes
                let byTask = Dictionary(states.map { ($0.task, $0) }, uniquingKeysWith: { $1 })
                for entry in submission.manifest.entries {
                    taskOfRun[entry.run] = byTask[submission.array.task(ofLine: entry.index)]
                }
            }
        }
        let runs = experiment.runs.map { run -> SweepRunStatus in
            let path = runFilePath(resultsDirectory: resultsDirectory, experiment: experiment.name, run: run.name)
            return classifySweepRun(run.name, file: sweepFileState(path: path, config: run.config),
                                    failure: RunFailureRecord.read(runPath: path), task: taskOfRun[run.name])
        }
        self.init(experiment: experiment.name, runs: runs, notes: notes)
    }

    /// Runs per state, in `SweepRunState` order, states with no run left out.
    public var counts: [(state: SweepRunState, count: Int)] {
        SweepRunState.allCases.compactMap { s in
            let n = runs.filter { $0.state == s }.count
            return n == 0 ? nil : (s, n)
        }
    }

    /// A header with the counts, one aligned line per run, then the notes.
    public var text: String {
        let width = runs.map(\.run.count).max() ?? 0
        var lines = ["\(experiment): \(runs.count) run\(runs.count == 1 ? "" : "s"): "
                     + counts.map { "\($0.count) \($0.state.rawValue)" }.joined(separator: ", ")]
        for r in runs {
            lines.append("  " + r.run.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                         + r.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + r.detail)
        }
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
