import Foundation

extension RunWriter {
    /// Reopens a run file to continue it from its last complete checkpoint: restores weights,
    /// optimiser state and sampler state, drops curve rows (diagnostics and spikes included)
    /// logged after the checkpoint, and resumes SWMR writing. Returns the `/eval` row and the
    /// final evaluation made at the checkpoint's step, if any, so that the run does not repeat
    /// them. Files of an older format (another validation protocol) are refused.
    ///
    /// The caller holds the run's `lock`; only then is it safe to clear a killed writer's mark.
    public static func resume(
        path: String, lock: RunFileLock, parameters: [Tensor<Float>], optimizer: AdamW<Float>, evalColumns: [String], flushSeconds: Double
    ) throws -> (writer: RunWriter, state: CheckpointState, evalAtCheckpoint: [Double]?, finalEvaluation: FinalEvaluation?) {
        guard lock.runPath == path else { throw RunFileError("internal: resuming \(path) under the lock of \(lock.runPath)") }
        let file = try openForWriting(path)
        let reader = RunReader(path: path, file: file)
        do { try reader.requireResumableFormat() } catch {
            try? file.close()
            throw error
        }
        let (state, slot) = try reader.checkpoint() ?? {
            throw RunFileError("\(path): no complete checkpoint to resume from (\(try reader.noCheckpointReason())); "
                               + "train it again from the start with --overwrite")
        }()
        _ = try reader.loadCheckpoint(into: parameters, optimizer: optimizer)
        let startTime = try file.root.stringAttribute("start_time")
        let slotsInRunFile = try reader.checkpointSlotsInRunFile()
        // Without saved weights the next checkpoints go on into the same checkpoint file.
        let checkpointFile = slotsInRunFile ? nil : try RunCheckpointFile.open(for: path, startTime: startTime, writable: true)
        let keepTrain = try reader.trainSteps().prefix { $0 <= state.step }.count
        try file.root.appendableDataset("train/step", of: Int64.self).truncate(to: keepTrain)
        for c in RunLayout.trainColumns.dropFirst() { try file.root.appendableDataset("train/" + c, of: Double.self).truncate(to: keepTrain) }
        guard try reader.evalColumns() == evalColumns.sorted() else {
            throw RunFileError("\(path): /eval holds \(try reader.evalColumns()); this run logs \(evalColumns)")
        }
        let keepEval = try reader.evalSteps().prefix { $0 <= state.step }.count
        try file.root.appendableDataset("eval/step", of: Int64.self).truncate(to: keepEval)
        for c in evalColumns { try file.root.appendableDataset("eval/" + c, of: Double.self).truncate(to: keepEval) }
        try reader.truncateDiagnostics(after: state.step)
        let evalSteps = try reader.evalSteps()
        let evalAtCheckpoint = evalSteps.last == state.step ? try evalColumns.map { try reader.evalColumn($0).last ?? .nan } : nil
        // A final evaluation belongs to the checkpoint only when it was made at the checkpoint's step.
        let finalEvaluation = try reader.finalEvaluation().flatMap { $0.step == state.step ? $0 : nil }
        try file.root.stringDataset(RunLayout.status).write(RunStatus.running.rawValue)
        try recordResume(file.root, step: state.step)
        try file.startSWMRWrite()
        let diagnostics = try reader.hasDiagnostics()
        let latent = try diagnostics && reader.diagnosticsColumns().contains(DiagnosticsLayout.latentRMS)
        let writer = RunWriter(path: path, file: file, evalColumns: evalColumns, saveWeights: slotsInRunFile,
                               parameterNames: parameters.map(\.name), flushSeconds: flushSeconds, nextSlot: 1 - slot,
                               diagnostics: diagnostics, latentDiagnostics: latent, startTime: startTime,
                               checkpointFile: checkpointFile)
        return (writer, state, evalAtCheckpoint, finalEvaluation)
    }

    /// Appends a line to the root attribute `resumes` (`RunLayout.resumes`): the step resumed
    /// from, the time, and the commit and host that continue the run. `git_commit` and `host`
    /// name where the run started; without this, a run continued by another build or machine
    /// would not say so.
    static func recordResume(_ root: HDF5Group, step: Int) throws {
        let line = "step \(step) at \(ISO8601DateFormatter().string(from: Date())) commit \(AttnLabVersion.gitCommit()) host \(ProcessInfo.processInfo.hostName)"
        let earlier = try root.hasAttribute(RunLayout.resumes) ? try root.stringAttribute(RunLayout.resumes) : ""
        try root.setAttribute(RunLayout.resumes, .string(earlier.isEmpty ? line : earlier + "\n" + line))
    }

    /// Opens read-write; a file left marked open by a killed SWMR writer is first cleared with
    /// HDF5's `h5clear -s` (HDF5 1.10 has no library call for it).
    static func openForWriting(_ path: String) throws -> HDF5File {
        do { return try HDF5File.open(path: path, mode: .readWrite) } catch {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["h5clear", "-s", path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            do { try p.run() } catch {
                throw RunFileError("\(path) is marked as still open by a writer that was killed; install hdf5-tools (apt-get install hdf5-tools) so AttnLab can clear it with h5clear -s")
            }
            // h5clear reads the file's metadata; on a damaged file it must not stall the resume.
            let deadline = ContinuousClock.now + .seconds(20)
            while p.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if p.isRunning {
                p.terminate()
                p.waitUntilExit()
                throw RunFileError("\(path) cannot be opened for writing: \(error); h5clear -s did not finish within 20 s (the file is probably damaged)")
            }
            guard p.terminationStatus != 127 else {
                throw RunFileError("\(path) is marked as still open by a writer that was killed; install hdf5-tools (apt-get install hdf5-tools) so AttnLab can clear it with h5clear -s")
            }
            guard p.terminationStatus == 0 else {
                throw RunFileError("\(path) cannot be opened for writing: \(error) (h5clear -s also failed with status \(p.terminationStatus))")
            }
            return try HDF5File.open(path: path, mode: .readWrite)
        }
    }
}
