import Foundation

/// Reads what `planSweep` needs from the file at `path`, comparing its stored config with `config`.
public func sweepFileState(path: String, config: ExperimentConfig) -> SweepFileState {
    guard FileManager.default.fileExists(atPath: path) else { return .missing }
    let writer = RunFileLock.holder(of: path)
    do {
        let reader = try RunReader(path: path)
        defer { try? reader.close() }
        let stored = try ExperimentConfig(resolvedTOML: try reader.configTOML, source: path)
        var (status, step) = try reader.status()
        // A running (or killed) run's status step is still 0: its last flushed training step says how far it got.
        if status == .running { step = max(step, try reader.trainSteps().last ?? 0) }
        let checkpointStep = try reader.checkpoint()?.state.step
        return .present(SweepFileFacts(
            status: status, step: step, checkpointStep: checkpointStep,
            configMatches: sameRunConfig(stored, config), writer: writer, storedThreads: stored.train.threads,
            configDifferences: runConfigDifferences(stored: stored, now: config),
            noCheckpointReason: checkpointStep == nil ? try reader.noCheckpointReason() : nil))
    } catch {
        return .unreadable(reason: "\(error)", writer: writer)
    }
}

/// The plan for every run of `experiment` from the files in `<results>/<experiment>/`: each
/// file's state (`sweepFileState`) decided by `planSweep`. Shared by the sweep, the run manifest
/// and `attnlab run --manifest`, so they all skip, resume and restart by the same rules.
public func planExperimentRuns(_ experiment: Experiment, resultsDirectory: URL, only: Set<String>? = nil) -> [SweepPlanEntry] {
    let folder = resultsDirectory.appendingPathComponent(experiment.name)
    let selected = experiment.runs.filter { only?.contains($0.name) ?? true }
    let runs = selected.map { (name: $0.name, path: runFilePath(resultsDirectory: resultsDirectory, experiment: experiment.name, run: $0.name)) }
    var states: [String: SweepFileState] = [:]
    for (run, r) in zip(selected, runs) { states[r.path] = sweepFileState(path: r.path, config: run.config) }
    let existing = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
    return planSweep(runs: runs, states: states, existingNames: existing)
}

/// Renames a run file that cannot be resumed to `asideName` in the same folder. Never replaces
/// an existing file: `rename(2)` would, so the destination is checked with `link(2)`, which fails
/// when it exists, and the original name is unlinked only after the link succeeded. Holds the
/// run's `RunFileLock` meanwhile, so a file some process started writing is never moved.
public func moveRunFileAside(path: String, asideName: String) throws -> String {
    let lock = try RunFileLock.acquire(for: path)
    defer { lock.release() }
    let dest = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(asideName).path
    guard link(path, dest) == 0 else {
        throw RunFileError("cannot move \(path) aside to \(dest): \(String(cString: strerror(errno)))")
    }
    guard unlink(path) == 0 else {
        throw RunFileError("moved \(path) to \(dest) but cannot remove the old name: \(String(cString: strerror(errno)))")
    }
    // A checkpoint file (a run without saved weights) goes along, so the file set aside keeps it.
    let checkpoint = RunCheckpointFile.path(for: path)
    if FileManager.default.fileExists(atPath: checkpoint) {
        let checkpointDest = RunCheckpointFile.path(for: dest)
        guard link(checkpoint, checkpointDest) == 0, unlink(checkpoint) == 0 else {
            throw RunFileError("moved \(path) to \(dest) but cannot move its checkpoint file \(checkpoint) to \(checkpointDest): "
                               + String(cString: strerror(errno)))
        }
    }
    return dest
}
