import Foundation

/// What Slurm reports for one array task (`squeue` while it is queued or running, `sacct`
/// afterwards when the cluster keeps accounting).
public struct SlurmTaskState: Sendable, Equatable {
    public var jobID: String
    public var task: Int
    /// Slurm's state word: `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `TIMEOUT`, `CANCELLED`...
    public var state: String
    /// squeue's reason (e.g. `JobArrayTaskLimit`) or sacct's exit code (`1:0`); may be empty.
    public var detail: String

    public init(jobID: String, task: Int, state: String, detail: String = "") {
        self.jobID = jobID; self.task = task; self.state = state; self.detail = detail
    }

    /// `JOB_TASK`, as Slurm names array tasks.
    public var name: String { "\(jobID)_\(task)" }

    /// Queued, starting or running.
    public var isActive: Bool {
        ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING"].contains(state)
    }

    /// Ended without success.
    public var isFailure: Bool {
        ["FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"].contains(state)
    }

    /// Parses `FIELD|FIELD|FIELD` lines as written by `squeue -h -r -o '%i|%T|%r'` and
    /// `sacct -n -P -X -o JobID,State,ExitCode`: `12_3|PENDING|JobArrayTaskLimit`,
    /// `12_4|CANCELLED by 0|0:15`. Lines that are not a single array task (`12`, `12_[5-9%2]`,
    /// `12_3.batch`) are skipped; sacct's `CANCELLED by UID` becomes `CANCELLED`.
    public static func parse(_ text: String) -> [SlurmTaskState] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 2 else { return nil }
            let id = f[0].split(separator: "_", omittingEmptySubsequences: false)
            guard id.count == 2, !id[0].isEmpty, id[0].allSatisfy(\.isNumber), let task = Int(id[1]), task >= 0,
                  let state = f[1].split(separator: " ").first.map(String.init), !state.isEmpty else { return nil }
            return SlurmTaskState(jobID: String(id[0]), task: task, state: state, detail: f.count > 2 ? f[2] : "")
        }
    }

    /// Asks `squeue`, then `sacct`, about the tasks of `jobID`; squeue wins for a task both know
    /// (it is current). Returns the states found and notes on what could not be asked (tool
    /// missing, accounting disabled, job no longer known).
    public static func query(jobID: String) -> (states: [SlurmTaskState], notes: [String]) {
        var byTask: [Int: SlurmTaskState] = [:]
        var notes: [String] = []
        if toolExists("sacct") {
            if let r = try? runTool("sacct", ["-n", "-P", "-X", "-j", jobID, "-o", "JobID,State,ExitCode"]), r.status == 0 {
                for s in parse(r.output) where s.jobID == jobID { byTask[s.task] = s }
            } else {
                notes.append("sacct has no record of job \(jobID) (accounting disabled or unavailable)")
            }
        }
        if toolExists("squeue") {
            if let r = try? runTool("squeue", ["-h", "-r", "-j", jobID, "-o", "%i|%T|%r"]), r.status == 0 {
                for s in parse(r.output) where s.jobID == jobID { byTask[s.task] = s }
            } else {
                notes.append("squeue does not know job \(jobID) (ended or purged)")
            }
        } else {
            notes.append("squeue not found: states from the run files only")
        }
        return (byTask.values.sorted { $0.task < $1.task }, notes)
    }
}
