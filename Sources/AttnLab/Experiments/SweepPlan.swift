import Foundation

/// What a sweep found at a run's file path before starting anything.
public enum SweepFileState: Sendable, Equatable {
    case missing
    /// The file exists but does not open as a run file (e.g. killed while it was being created).
    /// `writer` names the process holding the file's `RunFileLock`, if any.
    case unreadable(reason: String, writer: String?)
    case present(SweepFileFacts)
}

/// The parts of an existing run file the plan depends on.
public struct SweepFileFacts: Sendable, Equatable {
    public var status: RunStatus
    /// The step the file ended at; for a file still marked `running` (training, or killed) its
    /// last flushed training step.
    public var step: Int
    /// Step of the last complete checkpoint; nil when there is none (the run stopped before its
    /// first checkpoint, or saved no weights and its checkpoint file is gone).
    public var checkpointStep: Int?
    /// When `checkpointStep` is nil: why (`RunReader.noCheckpointReason`), e.g. "it stopped before
    /// its first checkpoint" or what is wrong with the run's checkpoint file.
    public var noCheckpointReason: String?
    /// Stored config equals the run's resolved config, `train.threads` aside (see `sameRunConfig`).
    public var configMatches: Bool
    /// When it does not: the first keys that differ, "key: A in the file, B now".
    public var configDifferences: [String]
    /// The process holding the file's `RunFileLock` ("pid P on HOST since T"): a run is training
    /// it right now. Nil when nobody writes it.
    public var writer: String?
    /// `train.threads` in the stored config; a resume must use it, see `SweepAction.resume`.
    public var storedThreads: Int
    public init(status: RunStatus, step: Int, checkpointStep: Int?, configMatches: Bool, writer: String?, storedThreads: Int = 0,
                configDifferences: [String] = [], noCheckpointReason: String? = nil) {
        self.status = status; self.step = step; self.checkpointStep = checkpointStep
        self.configMatches = configMatches; self.writer = writer; self.storedThreads = storedThreads
        self.configDifferences = configDifferences; self.noCheckpointReason = noCheckpointReason
    }
}

/// What the sweep does with one run.
public enum SweepAction: Sendable, Equatable {
    /// No file yet: train from scratch.
    case train
    /// Finished with the same config.
    case skip
    /// Interrupted or killed with a checkpoint: `attnlab run --resume`. `threads` is the stored
    /// `train.threads`: the trainer only resumes an identical config, and keeping the thread
    /// count keeps the continued curve bit-identical to an uninterrupted run.
    case resume(fromStep: Int, threads: Int)
    /// Nothing to resume from: the old file is renamed to `asideName` (never deleted), then the
    /// run trains from scratch.
    case restart(asideName: String, reason: String)
    /// Diverged earlier: reported as a failure, not retried (it would diverge again).
    case diverged(step: Int)
    /// Blocks the whole sweep: the file belongs to another config, or another process is writing it.
    case conflict(String)

    /// Whether a child process is started for this run.
    public var trains: Bool {
        switch self {
        case .train, .resume, .restart: true
        case .skip, .diverged, .conflict: false
        }
    }
}

public struct SweepPlanEntry: Sendable, Equatable {
    public var run: String
    public var path: String
    public var action: SweepAction
    public init(run: String, path: String, action: SweepAction) { self.run = run; self.path = path; self.action = action }
}

/// Decides every run's action from what is on disk. Pure: `states` maps each run's path to what
/// was found there, `existingNames` are the file names already in the results folder (so the
/// names chosen for moved-aside files collide neither with them nor with each other).
public func planSweep(runs: [(name: String, path: String)], states: [String: SweepFileState], existingNames: Set<String>) -> [SweepPlanEntry] {
    var taken = existingNames
    func asideName(_ path: String) -> String {
        let base = (path as NSString).lastPathComponent
        var n = 1
        while taken.contains("\(base).incomplete-\(n)") { n += 1 }
        taken.insert("\(base).incomplete-\(n)")
        return "\(base).incomplete-\(n)"
    }
    return runs.map { run in
        let action: SweepAction
        switch states[run.path] ?? .missing {
        case .missing:
            action = .train
        case .unreadable(let reason, let writer):
            if let writer {
                action = .conflict("\(run.path) is being written by another process (\(writer))")
            } else {
                action = .restart(asideName: asideName(run.path), reason: "unreadable (\(reason))")
            }
        case .present(let f):
            if let writer = f.writer {
                action = .conflict("\(run.path) is being written by another process (\(writer); status \(f.status.rawValue) at step \(f.step))")
            } else if !f.configMatches {
                let keys = f.configDifferences.isEmpty ? "" : " (" + f.configDifferences.joined(separator: "; ") + ")"
                action = .conflict("\(run.path) was written by a different configuration than \(run.name) resolves to now\(keys); compare `attnlab inspect \(run.path) --config` with `attnlab show`, then move the file away or change the experiment back (or give the same --set values)")
            } else {
                switch f.status {
                case .finished: action = .skip
                case .diverged: action = .diverged(step: f.step)
                case .interrupted, .running:
                    let how = f.status == .running ? "killed at step \(f.step)" : "interrupted at step \(f.step)"
                    if let c = f.checkpointStep {
                        action = .resume(fromStep: c, threads: f.storedThreads)
                    } else {
                        let why = f.noCheckpointReason.map { " (\($0))" } ?? ""
                        action = .restart(asideName: asideName(run.path), reason: "\(how) without a usable checkpoint\(why)")
                    }
                }
            }
        }
        return SweepPlanEntry(run: run.name, path: run.path, action: action)
    }
}

/// Whether a stored config is the same run as a resolved one (`ExperimentConfig.runIdentity`:
/// `train.threads` aside, which the sweep sets from `--jobs`, so a re-run with another `--jobs`
/// still recognises its runs).
public func sameRunConfig(_ a: ExperimentConfig, _ b: ExperimentConfig) -> Bool {
    a.runIdentity == b.runIdentity
}

/// The keys that make `stored` another run than `now` (as `sameRunConfig` compares them), "key: A
/// in the file, B now", at most three; empty when they are the same run.
public func runConfigDifferences(stored: ExperimentConfig, now: ExperimentConfig) -> [String] {
    stored.runIdentity.differences(from: now.runIdentity)
}

/// Worker threads per child so that `jobs` parallel runs share the cores without oversubscribing.
public func sweepThreadsPerJob(cores: Int, jobs: Int) -> Int { max(1, cores / max(jobs, 1)) }

/// Whether the user's `--set` arguments already choose `train.threads` (then the sweep leaves it).
public func overridesSetThreads(_ overrides: [String]) -> Bool {
    overrides.contains { $0.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces) == "train.threads" }
}
