import Foundation

/// Reads a run file through the HDF5 library: metadata, curves, status and the last complete
/// checkpoint. Works on finished, live (SWMR) and killed runs alike.
public final class RunReader {
    public let path: String
    let file: HDF5File

    /// Opens a run file for reading.
    ///
    /// A file left by a killed writer opens in SWMR mode, where HDF5 does not check the file's
    /// length; when no live run holds the file's lock, that check is done here, so a copy cut
    /// short (even by one byte) is reported instead of read as if whole.
    ///
    /// - Throws: `HDF5Error` naming the file when it is missing, damaged or cut short.
    /// Opens the run file at `path` for reading.
    ///
    /// - Throws: `RunFileError` naming the file when it is missing, not a file, not HDF5, a run's
    ///   checkpoint file (`RunCheckpointFile`, which names its run file) or an HDF5 file that is
    ///   not a run file; `HDF5Error` when a killed writer's file is cut short.
    public init(path: String) throws {
        self.path = path
        let expected = "expected a run file written by `attnlab run` (RESULTS/EXPERIMENT/RUN.h5)"
        do { file = try HDF5File.open(path: path, mode: .readOnly) } catch {
            throw RunFileError("\(error); \(expected)")
        }
        do {
            // A killed writer's file is checked for length first: reading a cut file's metadata
            // can retry for minutes.
            if file.mode == .swmrRead && RunFileLock.holder(of: path) == nil { try file.verifyLength() }
            if try file.root.hasAttribute(RunCheckpointFile.runFileAttribute) {
                let runFile = try file.root.stringAttribute(RunCheckpointFile.runFileAttribute)
                throw RunFileError("\(path) is the checkpoint file of the run file \(runFile) beside it, not a run file; give \(runFile) instead")
            }
            guard try file.root.hasAttribute("format_version"), try file.root.hasAttribute("run") else {
                throw RunFileError("\(path) is an HDF5 file without the root attributes `format_version` and `run`; \(expected)")
            }
        } catch {
            try? file.close()
            throw error
        }
    }

    init(path: String, file: HDF5File) { self.path = path; self.file = file }

    public func attribute(_ name: String) throws -> String { try file.root.stringAttribute(name) }

    /// One line per resume of the run ("step S at TIME commit C host H"), oldest first; empty
    /// for a run that was never resumed.
    public func resumes() throws -> [String] {
        guard try file.root.hasAttribute(RunLayout.resumes) else { return [] }
        return try file.root.stringAttribute(RunLayout.resumes).split(separator: "\n").map(String.init)
    }
    public func intAttribute(_ name: String) throws -> Int { try file.root.intAttribute(name) }
    public func modelAttribute(_ name: String) throws -> HDF5AttributeValue { try file.root.group("model").attribute(name) }

    public var configTOML: String { get throws { try attribute("config") } }

    public func status() throws -> (status: RunStatus, step: Int) {
        let text = try file.root.stringDataset(RunLayout.status).read()
        guard let s = RunStatus(rawValue: text) else {
            throw RunFileError("\(path): /status holds '\(text)'; expected one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let step = try file.root.dataset(RunLayout.statusStep).read(as: Int64.self).values.first ?? 0
        return (s, Int(step))
    }

    /// Rows of a curve group: the shortest column, and within it the rows up to the first step
    /// that does not increase. The writer appends `step` last, so rows beyond the shortest column
    /// are ones a kill or a failed write left half-written; a failed write can also leave the
    /// `step` column extended but unwritten (zeros), and steps start at 1 and only grow.
    func rowCount(_ group: String, _ columns: [String]) throws -> Int {
        let shortest = try (["step"] + columns).map { try file.root.appendableDataset("\(group)/\($0)", of: Double.self).count() }.min() ?? 0
        let steps = try file.root.appendableDataset("\(group)/step", of: Int64.self).readAll().prefix(shortest)
        var previous: Int64 = 0
        var rows = 0
        for step in steps {
            guard step > previous else { break }
            previous = step
            rows += 1
        }
        return rows
    }

    public func trainRowCount() throws -> Int { try rowCount("train", Array(RunLayout.trainColumns.dropFirst())) }
    public func evalRowCount() throws -> Int { try rowCount("eval", try evalColumns()) }

    public func trainSteps() throws -> [Int] {
        Array(try file.root.appendableDataset("train/step", of: Int64.self).readAll().prefix(try trainRowCount()).map(Int.init))
    }
    public func trainColumn(_ name: String) throws -> [Double] {
        Array(try file.root.appendableDataset("train/" + name, of: Double.self).readAll().prefix(try trainRowCount()))
    }
    public func evalSteps() throws -> [Int] {
        Array(try file.root.appendableDataset("eval/step", of: Int64.self).readAll().prefix(try evalRowCount()).map(Int.init))
    }
    public func evalColumns() throws -> [String] { try file.root.group("eval").childNames().filter { $0 != "step" }.sorted() }
    public func evalColumn(_ name: String) throws -> [Double] {
        Array(try file.root.appendableDataset("eval/" + name, of: Double.self).readAll().prefix(try evalRowCount()))
    }

    /// The `format_version` attribute (1, 2 or 3).
    public func formatVersion() throws -> Int { try intAttribute("format_version") }

    /// Throws unless the file has the current format: a run written by an older format used
    /// another validation protocol, and resuming it would mix the two in one curve.
    public func requireResumableFormat() throws {
        let version = try formatVersion()
        guard version == RunLayout.formatVersion else {
            throw RunFileError("\(path) is a run file of format \(version), validated by the \(ValidationProtocol(formatVersion: version).description); a resume would mix two validation protocols. Train it again from the start with --overwrite")
        }
    }

    /// The whole-split final evaluation, or nil when the file has none: format 1 and 2 files
    /// (whose final validation loss is the last row of `/eval`) and runs not finished yet.
    public func finalEvaluation() throws -> FinalEvaluation? {
        guard try file.root.contains(RunLayout.finalEval) else { return nil }
        func int(_ name: String) throws -> Int { Int(try file.root.dataset(name).read(as: Int64.self).values.first ?? 0) }
        let step = try int(RunLayout.finalEvalStep)
        guard step > 0 else { return nil }
        var values: [String: Double] = [:]
        for c in try evalColumns() {
            values[c] = try file.root.dataset(RunLayout.finalEval + "/" + c).read(as: Double.self).values.first ?? .nan
        }
        return FinalEvaluation(step: step, values: values, tokens: try int(RunLayout.finalEvalTokens), windows: try int(RunLayout.finalEvalWindows))
    }

    /// Whether the checkpoint slots are in the run file (`log.save_weights` true) rather than in
    /// its checkpoint file `RUN.h5.checkpoint` (`RunCheckpointFile`).
    public func checkpointSlotsInRunFile() throws -> Bool { try file.root.contains(RunLayout.slot(0)) }

    /// Why a run without saved weights has no usable checkpoint file (`RunCheckpointFile.problem`);
    /// nil when it has one, or keeps its checkpoints in the run file.
    public func checkpointFileProblem() throws -> String? {
        guard try !checkpointSlotsInRunFile(),
              let meta = CheckpointMeta(try file.root.dataset(RunLayout.checkpointMeta).read(as: Int64.self).values) else { return nil }
        return RunCheckpointFile.problem(for: path, startTime: try file.root.stringAttribute("start_time"), meta: meta)
    }

    /// The last complete checkpoint, or nil when none was written. A run without saved weights
    /// has one only while its checkpoint file (`RUN.h5.checkpoint`, same run) is beside it.
    public func checkpoint() throws -> (state: CheckpointState, slot: Int)? {
        guard let meta = CheckpointMeta(try file.root.dataset(RunLayout.checkpointMeta).read(as: Int64.self).values) else {
            return nil
        }
        if try !checkpointSlotsInRunFile(), try checkpointFileProblem() != nil { return nil }
        // xoshiro's all-zero state is a fixed point; only a damaged file holds it.
        guard meta.samplerState.contains(where: { $0 != 0 }) else {
            throw RunFileError("\(path): /\(RunLayout.checkpointMeta) holds an all-zero sampler state; the checkpoint is damaged")
        }
        let elapsed = try file.root.dataset(RunLayout.checkpointElapsed).read(as: Double.self).values.first ?? 0
        return (meta.state(elapsed: elapsed), meta.slot)
    }

    /// Why `checkpoint()` is nil, in words for an error message.
    public func noCheckpointReason() throws -> String {
        let meta = CheckpointMeta(try file.root.dataset(RunLayout.checkpointMeta).read(as: Int64.self).values)
        if meta != nil, let problem = try checkpointFileProblem() { return problem }
        let status = try status().status
        if try !checkpointSlotsInRunFile() && (status == .finished || status == .diverged) {
            return "a \(status.rawValue) run without saved weights keeps no checkpoint"
        }
        return "it stopped before its first checkpoint"
    }

    /// Copies the checkpoint's weights (and optimiser moments when `optimizer` is given) into
    /// the model's tensors, matched by name and shape.
    public func loadCheckpoint(into parameters: [Tensor<Float>], optimizer: AdamW<Float>? = nil) throws -> CheckpointState {
        guard let (state, slot) = try checkpoint() else { throw RunFileError("\(path): no complete checkpoint (\(try noCheckpointReason()))") }
        // The tensors are in the run file, or (no saved weights) in its checkpoint file.
        var source: (file: HDF5File, path: String, sidecar: RunCheckpointFile?) = (file, path, nil)
        if try !checkpointSlotsInRunFile() {
            let sidecar = try RunCheckpointFile.open(for: path, startTime: try file.root.stringAttribute("start_time"), writable: false)
                ?? { throw RunFileError("\(path): its checkpoint file \(RunCheckpointFile.path(for: path)) is gone") }()
            source = (sidecar.file, sidecar.path, sidecar)
        }
        defer { try? source.sidecar?.close() }
        for (i, p) in parameters.enumerated() {
            let parts = optimizer == nil ? ["params"] : ["params", "adam_m", "adam_v"]
            for part in parts {
                let name = "\(RunLayout.slot(slot))/\(part)/\(p.name)"
                guard try source.file.root.contains(name) else {
                    throw RunFileError("\(source.path): /\(name) is missing; the file was written for a different model")
                }
                let arr = try source.file.root.dataset(name).read(as: Float.self)
                guard arr.shape == p.shape else {
                    throw RunFileError("\(source.path): /\(name) has shape \(arr.shape); the model expects \(p.shape)")
                }
                let dst: UnsafeMutablePointer<Float>
                switch part {
                case "params": dst = p.ptr
                case "adam_m": dst = optimizer!.m[i].pointer
                default: dst = optimizer!.v[i].pointer
                }
                arr.values.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: p.count) }
            }
        }
        optimizer?.step = state.optimizerStep
        return state
    }

    public func close() throws { try file.close() }
}

public struct RunFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
