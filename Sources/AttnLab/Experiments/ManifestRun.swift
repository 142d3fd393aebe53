import Foundation

/// `attnlab run NAME --manifest FILE --index I`: trains line `I` of a `RunManifest`, and is
/// idempotent, so a scheduler may start it again after a failure, a requeue or a time limit.
/// The line's run is planned exactly as `attnlab sweep` plans it (`planExperimentRuns`): finished
/// with the same config → skipped; interrupted or killed with a checkpoint → resumed with the
/// thread count it was written with; a file without a checkpoint → moved aside and restarted;
/// diverged → reported, not retried; written by another config or by a live process → refused.
///
/// A failure leaves a `RunFailureRecord` beside the run file (so `--status` shows the run as
/// failed even when no HDF5 file was created); a finished or skipped run removes it.
public struct ManifestRun: Sendable {
    public var manifestPath: String
    public var index: Int
    /// The experiment the caller named; must be the manifest's.
    public var experiment: String
    public var experimentsDirectory: URL
    public var resultsDirectory: URL
    public var dataDirectory: String
    /// `--set` given on the command line, applied after the manifest's own (a scheduler uses this
    /// for `train.threads`; anything that changes the config hash is refused).
    public var extraOverrides: [String]

    public init(manifestPath: String, index: Int, experiment: String, experimentsDirectory: URL, resultsDirectory: URL,
                dataDirectory: String = "data", extraOverrides: [String] = []) {
        self.manifestPath = manifestPath; self.index = index; self.experiment = experiment
        self.experimentsDirectory = experimentsDirectory; self.resultsDirectory = resultsDirectory
        self.dataDirectory = dataDirectory; self.extraOverrides = extraOverrides
    }

    /// Plans and runs the line; progress of training goes to stderr, decisions to `out`.
    ///
    /// - Throws: `RunManifestError` when the manifest cannot be read, names another experiment,
    ///   has no line `index`, or the run's config no longer hashes to the manifest's (the
    ///   experiment changed since the manifest was written). Training errors are not thrown:
    ///   they are recorded and returned as `.failed`.
    public func perform(out: (String) -> Void) throws -> ManifestRunResult {
        let manifest = try RunManifest(contentsOf: manifestPath)
        guard manifest.experiment == experiment else {
            throw RunManifestError("\(manifestPath) is a manifest of experiment \(manifest.experiment), not \(experiment)")
        }
        guard manifest.entries.indices.contains(index) else {
            throw RunManifestError("--index \(index): \(manifestPath) has \(manifest.entries.count) line\(manifest.entries.count == 1 ? "" : "s") (indices 0..<\(manifest.entries.count))")
        }
        let entry = manifest.entries[index]
        let overrides = manifest.overrides + extraOverrides
        let loaded = try loadExperiment(name: experiment, directory: experimentsDirectory, overrides: overrides)
        guard let run = loaded.runs.first(where: { $0.name == entry.run }) else {
            throw RunManifestError("\(manifestPath):\(index): run \(entry.run) is no longer a run of \(experiment); write a new manifest")
        }
        let path = runFilePath(resultsDirectory: resultsDirectory, experiment: experiment, run: run.name)
        guard RunManifest.configHash(run.config) == entry.configHash else {
            let why = "the config of \(experiment)/\(run.name) changed since \(manifestPath) was written (hash \(RunManifest.configHash(run.config).prefix(12)), manifest \(entry.configHash.prefix(12))); write a new manifest"
            try? RunFailureRecord(runPath: path, reason: why).write()
            throw RunManifestError(why)
        }
        guard let planned = planExperimentRuns(loaded, resultsDirectory: resultsDirectory, only: [run.name]).first else {
            throw RunManifestError("\(experiment)/\(run.name): nothing planned")
        }
        out("manifest \(manifestPath) line \(index): \(experiment)/\(run.name): \(planned.action.planText)")

        var resumePath: String?
        var experimentToRun = loaded
        switch planned.action {
        case .skip:
            RunFailureRecord.remove(runPath: path)
            return .skipped
        case .diverged(let step):
            return .diverged(step: step)
        case .conflict(let why):
            // A live writer is another attempt of this run: leave its record alone.
            if RunFileLock.holder(of: path) != nil { return .failed(reason: why) }
            try? RunFailureRecord(runPath: path, reason: why).write()
            return .failed(reason: why)
        case .restart(let aside, _):
            let moved = try moveRunFileAside(path: path, asideName: aside)
            out("moved \(path) to \(moved)")
        case .resume(_, let threads):
            // Last --set wins: the trainer resumes only the config the file was written with.
            experimentToRun = try loadExperiment(name: experiment, directory: experimentsDirectory, overrides: overrides + ["train.threads=\(threads)"])
            resumePath = path
        case .train:
            break
        }

        RunFailureRecord.remove(runPath: path)
        let outcome: RunOutcome
        do {
            guard let o = try runExperiment(experimentToRun, resultsDirectory: resultsDirectory, resumePath: resumePath,
                                            only: [run.name], dataDirectory: dataDirectory).first else {
                throw RunManifestError("\(experiment)/\(run.name): nothing was trained")
            }
            outcome = o
        } catch {
            try? RunFailureRecord(runPath: path, reason: "\(error)").write()
            return .failed(reason: "\(error)")
        }
        switch outcome.status {
        case .finished: return .finished
        case .interrupted: return .interrupted
        case .diverged, .running: return .diverged(step: outcome.step)
        }
    }
}

/// How `ManifestRun.perform` ended.
public enum ManifestRunResult: Sendable, Equatable {
    /// Trained (or resumed) to the end.
    case finished
    /// Already finished with the same config; nothing was done.
    case skipped
    /// Stopped by Ctrl-C or SIGTERM (e.g. a batch time limit) with a checkpoint: run the line again.
    case interrupted
    /// Diverged now or earlier; not retried.
    case diverged(step: Int)
    /// Did not train; the reason is also in the run's `RunFailureRecord` unless another process
    /// is writing the run.
    case failed(reason: String)

    /// 0 (finished, skipped), 130 (interrupted) or 1.
    public var exitCode: Int32 {
        switch self {
        case .finished, .skipped: 0
        case .interrupted: 130
        case .diverged, .failed: 1
        }
    }
}
