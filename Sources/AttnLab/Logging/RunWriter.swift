import Foundation

/// Writes one run's HDF5 file. The whole layout (attributes, curves, checkpoint slots, status)
/// is created first; then the file switches to SWMR writing, after which HDF5 keeps it
/// consistent on disk at every flush: a run killed at any moment leaves a file that opens with
/// every flushed step, and readers (h5py with swmr=True) can follow a live run.
///
/// Checkpoints alternate between two slots and `checkpoint/meta` names the last complete one,
/// so a kill during a checkpoint write still leaves the previous checkpoint intact. Without saved
/// weights the slots live in the run's checkpoint file (`RunCheckpointFile`) while it trains.
public final class RunWriter {
    public let path: String
    let file: HDF5File
    let evalColumns: [String]
    let saveWeights: Bool
    let parameterNames: [String]
    /// Whether the file has `/diagnostics` (files created before it existed, or with
    /// `log.diagnostics = false`, do not), and whether it holds `latent_rms`.
    public let recordsDiagnostics: Bool
    let latentDiagnostics: Bool
    private var pendingTrain: [TrainRecord] = []
    private var pendingEval: [[Double]] = []
    private var pendingDiagnostics: [DiagnosticsRecord] = []
    private var pendingSpikes: [SpikeEvent] = []
    private var lastFlush = ContinuousClock.now
    private let flushInterval: Double
    private var nextSlot = 0
    /// The run file's `start_time`, which its checkpoint file repeats.
    let startTime: String
    /// Without saved weights: the checkpoint file, from the first checkpoint on.
    var checkpointFile: RunCheckpointFile?

    init(path: String, file: HDF5File, evalColumns: [String], saveWeights: Bool, parameterNames: [String],
         flushSeconds: Double, nextSlot: Int, diagnostics: Bool, latentDiagnostics: Bool, startTime: String,
         checkpointFile: RunCheckpointFile? = nil) {
        self.path = path; self.file = file; self.evalColumns = evalColumns; self.saveWeights = saveWeights
        self.parameterNames = parameterNames; self.flushInterval = flushSeconds; self.nextSlot = nextSlot
        recordsDiagnostics = diagnostics; self.latentDiagnostics = latentDiagnostics
        self.startTime = startTime; self.checkpointFile = checkpointFile
    }

    /// Creates the file (never over an existing one) and lays it out. The caller holds the run's
    /// `lock`. With `diagnostics`, the file gets `/diagnostics` (`RunDiagnostics`), with
    /// `latent_rms` when the model's attention has a KV latent.
    ///
    /// The file is built under a hidden temporary name in the same folder (`.<run>.h5.creating`)
    /// and appears at `path` only once it is a complete SWMR file: a process killed at any moment
    /// leaves either no file at `path` or one that opens, and a disk that fills up during
    /// creation leaves nothing behind (the temporary file is removed).
    ///
    /// - Throws: `RunFileError` when `lock` is for another path or `path` exists; `HDF5Error` or
    ///   the OS error when the file cannot be written.
    public static func create(
        path: String, lock: RunFileLock, metadata: RunMetadata, model: ModelConfig, contextLength: Int,
        parameters: [Tensor<Float>], evalColumns: [String], periodicWindows: Int, saveWeights: Bool, flushSeconds: Double,
        diagnostics: Bool = false
    ) throws -> RunWriter {
        guard lock.runPath == path else { throw RunFileError("internal: writing \(path) under the lock of \(lock.runPath)") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw RunFileError("\(path) already exists; nothing was written")
        }
        // Subprocesses (git) run before the file exists, not inside the window where it is made.
        let gitCommit = AttnLabVersion.gitCommit()
        let startTime = ISO8601DateFormatter().string(from: Date())
        // Under the lock, a checkpoint file here can only be left from an earlier run of this name.
        try RunCheckpointFile.remove(for: path)
        let staging = folder.appendingPathComponent("." + URL(fileURLWithPath: path).lastPathComponent + ".creating").path
        // Under the lock, a staging file can only be the leftover of a creation that was killed.
        if unlink(staging) != 0 && errno != ENOENT {
            throw RunFileError("cannot remove the leftover \(staging): \(String(cString: strerror(errno)))")
        }
        let file = try HDF5File.create(path: staging, overwrite: false)
        do {
            try layOut(file, metadata: metadata, gitCommit: gitCommit, startTime: startTime, model: model, contextLength: contextLength,
                       parameters: parameters, evalColumns: evalColumns, periodicWindows: periodicWindows, saveWeights: saveWeights)
            if diagnostics {
                try RunVariables.layOutDiagnostics(file.root, layers: model.nLayers, latent: model.attention.kind.hasKVLatent)
            }
            try file.startSWMRWrite()
            try file.flush()
            try file.publish(as: path)
        } catch {
            try? file.close()
            unlink(staging)
            throw RunFileError("cannot create \(path); nothing was left behind: \(error)")
        }
        return RunWriter(path: path, file: file, evalColumns: evalColumns, saveWeights: saveWeights,
                         parameterNames: parameters.map(\.name), flushSeconds: flushSeconds, nextSlot: 0,
                         diagnostics: diagnostics, latentDiagnostics: diagnostics && model.attention.kind.hasKVLatent,
                         startTime: startTime)
    }

    private static func layOut(
        _ file: HDF5File, metadata: RunMetadata, gitCommit: String, startTime: String, model: ModelConfig, contextLength: Int,
        parameters: [Tensor<Float>], evalColumns: [String], periodicWindows: Int, saveWeights: Bool
    ) throws {
        let root = file.root
        let attrs: [(String, HDF5AttributeValue)] = [
            ("format_version", .int(RunLayout.formatVersion)), ("attnlab_version", .string(AttnLabVersion.string)),
            ("git_commit", .string(gitCommit)), ("start_time", .string(startTime)),
            ("experiment", .string(metadata.experiment)), ("run", .string(metadata.runName)),
            ("config", .string(metadata.configTOML)), ("seed", .int(metadata.seed)),
            ("tokenizer", .string(metadata.tokenizer)), ("data", .string(metadata.dataDescription)),
            ("threads", .int(metadata.threads)), ("blas_core", .string(metadata.blasCore)),
            ("blas_threads", .int(metadata.blasThreads)), ("host", .string(ProcessInfo.processInfo.hostName)),
        ]
        for (k, v) in attrs { try root.setAttribute(k, v) }
        let m = try root.createGroup("model")
        let modelAttrs: [(String, HDF5AttributeValue)] = [
            ("attention", .string(model.attention.kind.rawValue)),
            ("param_count", .int(model.parameterCount)),
            ("non_embedding_param_count", .int(model.nonEmbeddingParameterCount)),
            ("kv_elements_per_token_per_layer", .int(model.kvElementsPerTokenPerLayer)),
            ("kv_elements_per_token", .int(model.kvElementsPerToken)),
            ("n_layers", .int(model.nLayers)), ("d_model", .int(model.dModel)),
            ("context_length", .int(contextLength)),
            ("forward_flops_per_token", .double(Double(model.forwardFLOPsPerToken(context: contextLength)))),
            ("train_flops_per_token", .double(Double(model.trainingFLOPsPerToken(context: contextLength)))),
        ]
        for (k, v) in modelAttrs { try m.setAttribute(k, v) }
        try root.createAppendableDataset("train/step", of: Int64.self)
        for c in RunLayout.trainColumns.dropFirst() { try root.createAppendableDataset("train/" + c, of: Double.self) }
        try root.createAppendableDataset("eval/step", of: Int64.self)
        for c in evalColumns { try root.createAppendableDataset("eval/" + c, of: Double.self) }
        let evalGroup = try root.group("eval")
        try evalGroup.setAttribute("windows", .int(periodicWindows))
        try evalGroup.setAttribute("protocol", .string("periodic: \(periodicWindows) windows spread evenly over the validation split (eval.windows)"))
        // Written once, at the end of a finished run; step 0 means not yet.
        let finalGroup = try root.createGroup(RunLayout.finalEval)
        try finalGroup.setAttribute("protocol", .string(ValidationProtocol.windows.description))
        for name in [RunLayout.finalEvalStep, RunLayout.finalEvalTokens, RunLayout.finalEvalWindows] {
            try root.writeDataset(name, HDF5Array(shape: [1], values: [Int64(0)]))
        }
        for c in evalColumns { try root.writeDataset(RunLayout.finalEval + "/" + c, HDF5Array(shape: [1], values: [Double.nan])) }
        try root.createStringDataset(RunLayout.status, byteCapacity: 32, value: RunStatus.running.rawValue)
        try root.writeDataset(RunLayout.statusStep, HDF5Array(shape: [1], values: [Int64(0)]))
        try root.writeDataset(RunLayout.checkpointMeta, HDF5Array(shape: [CheckpointMeta.fields.count], values: CheckpointMeta.none))
        try root.dataset(RunLayout.checkpointMeta).setAttribute("fields", .string(CheckpointMeta.fields.joined(separator: ",")))
        try root.writeDataset(RunLayout.checkpointElapsed, HDF5Array(shape: [1], values: [0.0]))
        if saveWeights {
            for slot in 0..<2 {
                for p in parameters {
                    for part in ["params", "adam_m", "adam_v"] {
                        try root.createDataset("\(RunLayout.slot(slot))/\(part)/\(p.name)", of: Float.self, shape: p.shape, checksummed: true)
                    }
                }
            }
        }
        try RunVariables.describe(root, evalColumns: evalColumns, parameterNames: parameters.map(\.name), saveWeights: saveWeights)
    }

    /// Buffers a training step; writes and flushes when `flush_seconds` have passed.
    public func log(_ r: TrainRecord) throws {
        pendingTrain.append(r)
        try flushIfDue()
    }

    public func logEval(step: Int, values: [Double]) throws {
        precondition(values.count == evalColumns.count, "eval row has \(values.count) values for columns \(evalColumns)")
        pendingEval.append([Double(step)] + values)
        try flushIfDue()
    }

    /// Buffers a row of `/diagnostics`; ignored when the file has none.
    public func logDiagnostics(_ r: DiagnosticsRecord) throws {
        guard recordsDiagnostics else { return }
        precondition((r.latentRMS != nil) == latentDiagnostics, "diagnostics row at step \(r.step) does not match the file's latent_rms column")
        pendingDiagnostics.append(r)
        try flushIfDue()
    }

    /// Buffers a spike event; ignored when the file has no `/diagnostics`.
    public func logSpike(_ e: SpikeEvent) throws {
        guard recordsDiagnostics else { return }
        pendingSpikes.append(e)
        try flushIfDue()
    }

    private func flushIfDue() throws {
        if (ContinuousClock.now - lastFlush).seconds >= flushInterval { try flush() }
    }

    /// Writes buffered rows and flushes the file to disk. The `step` column of each group is
    /// appended last, so when the process dies in the middle, the rows a reader counts (see
    /// `RunReader.trainRowCount`) are complete. When a write fails (a full disk), every column of
    /// the group is cut back to its length before this flush, as far as HDF5 still can, so the
    /// file does not keep half a row either.
    public func flush() throws {
        if !pendingTrain.isEmpty {
            let cols: [[Double]] = [pendingTrain.map(\.loss), pendingTrain.map(\.lr), pendingTrain.map(\.gradNorm),
                                    pendingTrain.map(\.tokensPerSecond), pendingTrain.map(\.elapsed),
                                    pendingTrain.map(\.activationBytes), pendingTrain.map(\.peakRSSBytes)]
            try appendRows("train", Array(RunLayout.trainColumns.dropFirst()), cols, steps: pendingTrain.map { Int64($0.step) })
            pendingTrain.removeAll()
        }
        if !pendingEval.isEmpty {
            let cols = evalColumns.indices.map { i in pendingEval.map { $0[i + 1] } }
            try appendRows("eval", evalColumns, cols, steps: pendingEval.map { Int64($0[0]) })
            pendingEval.removeAll()
        }
        if !pendingDiagnostics.isEmpty {
            var names = [DiagnosticsLayout.maxAttentionLogit], cols = [pendingDiagnostics.flatMap(\.maxAttentionLogit)]
            if latentDiagnostics {
                names.append(DiagnosticsLayout.latentRMS)
                cols.append(pendingDiagnostics.flatMap { $0.latentRMS ?? [] })
            }
            try appendRows(DiagnosticsLayout.group, names, cols, steps: pendingDiagnostics.map { Int64($0.step) })
            pendingDiagnostics.removeAll()
        }
        for kind in SpikeKind.allCases {
            let events = pendingSpikes.filter { $0.kind == kind }
            guard !events.isEmpty else { continue }
            try appendRows(DiagnosticsLayout.spikes(kind), DiagnosticsLayout.spikeColumns,
                           [events.map(\.value), events.map(\.median)], steps: events.map { Int64($0.step) })
        }
        pendingSpikes.removeAll()
        try file.flush()
        lastFlush = .now
    }

    /// Appends one block of rows to a curve group: the value columns (1-D, or 2-D given as
    /// row-major values), then `step`.
    private func appendRows(_ group: String, _ names: [String], _ columns: [[Double]], steps: [Int64]) throws {
        let root = file.root
        let stepColumn = try root.appendableDataset(group + "/step", of: Int64.self)
        let before = try stepColumn.count()
        do {
            for (name, values) in zip(names, columns) {
                try root.appendableDataset(group + "/" + name, of: Double.self).append(values)
            }
            try stepColumn.append(steps)
        } catch {
            for name in names { try? root.appendableDataset(group + "/" + name, of: Double.self).truncate(to: before) }
            try? stepColumn.truncate(to: before)
            throw error
        }
    }

    /// Writes parameters and optimiser moments into the free slot, flushes, then marks the slot
    /// current. Curves logged so far are flushed first so the file never holds a checkpoint
    /// newer than its curves. Without saved weights the slot is in the checkpoint file
    /// (created at the first checkpoint), and the `last` checkpoint of a finished run is skipped:
    /// a finished run without saved weights keeps none.
    public func checkpoint(parameters: [Tensor<Float>], optimizer: AdamW<Float>, state: CheckpointState, last: Bool = false) throws {
        try flush()
        if !saveWeights && last { return }
        let root = file.root
        let slot = nextSlot
        for (i, p) in parameters.enumerated() {
            precondition(p.name == parameterNames[i], "checkpoint parameters changed order")
        }
        if saveWeights {
            try RunCheckpointFile.writeSlot(slot, in: root, parameters: parameters, optimizer: optimizer)
        } else {
            if checkpointFile == nil {
                checkpointFile = try RunCheckpointFile.create(for: path, startTime: startTime, parameters: parameters)
            }
            try checkpointFile!.write(meta: CheckpointMeta(slot: slot, state: state), parameters: parameters, optimizer: optimizer)
        }
        try file.flush()
        try root.dataset(RunLayout.checkpointMeta).overwrite(CheckpointMeta(slot: slot, state: state).values)
        try root.dataset(RunLayout.checkpointElapsed).overwrite([state.elapsed])
        try file.flush()
        nextSlot = 1 - slot
    }

    /// Stores the whole-split final evaluation in `/final_eval`. Its values go to disk before its
    /// step, so a kill in between leaves step 0 (no final evaluation), never a step with stale values.
    public func writeFinalEvaluation(_ e: FinalEvaluation) throws {
        precondition(Set(e.values.keys) == Set(evalColumns), "final evaluation has \(e.values.keys.sorted()) for columns \(evalColumns)")
        try flush()
        let root = file.root
        for c in evalColumns { try root.dataset(RunLayout.finalEval + "/" + c).overwrite([e.values[c]!]) }
        try root.dataset(RunLayout.finalEvalTokens).overwrite([Int64(e.tokens)])
        try root.dataset(RunLayout.finalEvalWindows).overwrite([Int64(e.windows)])
        try file.flush()
        try root.dataset(RunLayout.finalEvalStep).overwrite([Int64(e.step)])
        try file.flush()
    }

    /// Records how the run ended. The step goes to disk before the status, so a kill between
    /// the two leaves the old status (`running`, which a sweep resumes), never a final status
    /// with a stale step. A run without saved weights that finished or diverged then drops its
    /// checkpoint: `meta` is cleared first, the checkpoint file removed after.
    public func setStatus(_ status: RunStatus, step: Int) throws {
        try flush()
        try file.root.dataset(RunLayout.statusStep).overwrite([Int64(step)])
        try file.flush()
        try file.root.stringDataset(RunLayout.status).write(status.rawValue)
        try file.flush()
        if !saveWeights && (status == .finished || status == .diverged) {
            try file.root.dataset(RunLayout.checkpointMeta).overwrite(CheckpointMeta.none)
            try file.root.dataset(RunLayout.checkpointElapsed).overwrite([0.0])
            try file.flush()
            try checkpointFile?.close()
            checkpointFile = nil
            try RunCheckpointFile.remove(for: path)
        }
    }

    public func close() throws {
        try flush()
        try checkpointFile?.close()
        checkpointFile = nil
        try file.close()
    }

    /// Closes the file after a failed write without trying to write more: what reached the disk
    /// at the last successful flush stays readable, as after a kill.
    public func abandon() {
        pendingTrain.removeAll()
        pendingEval.removeAll()
        pendingDiagnostics.removeAll()
        pendingSpikes.removeAll()
        try? checkpointFile?.close()
        checkpointFile = nil
        try? file.close()
    }
}

public enum AttnLabVersion {
    public static let string = "0.1.0"

    /// The commit of the working directory's git checkout, with "-dirty" when tracked files have
    /// uncommitted changes, or "unknown" outside a checkout.
    public static func gitCommit() -> String {
        guard let head = git(["rev-parse", "HEAD"]), !head.isEmpty else { return "unknown" }
        let changes = git(["status", "--porcelain", "--untracked-files=no"]) ?? ""
        return changes.isEmpty ? head : head + "-dirty"
    }

    private static func git(_ arguments: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
