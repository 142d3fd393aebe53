import Foundation

/// Where a run with `log.save_weights = false` keeps its checkpoints while it trains:
/// `RUN.h5.checkpoint` beside the run file, an HDF5 file with the run file's two checkpoint
/// slots (`checkpoint/slot{0,1}/{params,adam_m,adam_v}/NAME`, float32, the parameters' shapes).
/// The run file stays small, and an interrupted or killed run still resumes.
///
/// The run file's `checkpoint/meta` remains the one record of which slot is complete: the
/// writer fills the free slot here, flushes, and only then points `meta` at it, so a kill at any
/// moment leaves `meta` naming a complete slot (or none). When the run finishes or diverges the
/// writer clears `meta` and removes this file; an interrupted or killed run keeps it.
///
/// Like the run file it is written in HDF5's SWMR mode, so a kill mid-write leaves a file that
/// opens read-only (resuming clears the writer's mark with `h5clear -s`, as for the run file).
///
/// The file's root attribute `run_start_time` repeats the run file's `start_time`: a checkpoint
/// file left from an earlier run of the same name is never taken for this run's. Each slot also
/// holds its own copy of the checkpoint's `meta` values (`slot{0,1}/meta`, written after the
/// slot's tensors), which must equal the run file's `checkpoint/meta`: a checkpoint file from
/// another moment of the same run (an older copy put back, or the two files copied at different
/// times) is never resumed from.
/// Layout: results/README.md, "Checkpoints".
public final class RunCheckpointFile {
    let path: String
    let file: HDF5File

    private init(path: String, file: HDF5File) { self.path = path; self.file = file }

    /// Root attribute naming the run file (its file name) the checkpoint file belongs to.
    static let runFileAttribute = "run_file"

    /// The copy of a slot's checkpoint `meta` inside the checkpoint file.
    static func metaPath(_ slot: Int) -> String { "\(RunLayout.slot(slot))/meta" }

    /// `RUN.h5.checkpoint` for `RUN.h5`.
    public static func path(for runPath: String) -> String { runPath + ".checkpoint" }

    /// Creates the file for the run file at `runPath` (started at `startTime`), replacing any
    /// leftover of an earlier run of the same name, with both slots allocated. The caller holds
    /// the run's lock.
    ///
    /// - Throws: `HDF5Error` or `RunFileError` when it cannot be written.
    static func create(for runPath: String, startTime: String, parameters: [Tensor<Float>]) throws -> RunCheckpointFile {
        let path = path(for: runPath)
        if unlink(path) != 0 && errno != ENOENT {
            throw RunFileError("cannot remove the leftover checkpoint file \(path): \(String(cString: strerror(errno)))")
        }
        let file = try HDF5File.create(path: path, overwrite: false)
        do {
            try file.root.setAttribute("run_start_time", .string(startTime))
            try file.root.setAttribute(Self.runFileAttribute, .string(URL(fileURLWithPath: runPath).lastPathComponent))
            for slot in 0..<2 {
                try file.root.writeDataset(metaPath(slot), HDF5Array(shape: [CheckpointMeta.fields.count], values: CheckpointMeta.none))
                for p in parameters {
                    for part in ["params", "adam_m", "adam_v"] {
                        try file.root.createDataset("\(RunLayout.slot(slot))/\(part)/\(p.name)", of: Float.self, shape: p.shape, checksummed: true)
                    }
                }
            }
            // SWMR, as the run file: a kill mid-write leaves a file that still opens read-only.
            try file.startSWMRWrite()
            try file.flush()
        } catch {
            try? file.close()
            unlink(path)
            throw error
        }
        return RunCheckpointFile(path: path, file: file)
    }

    /// Opens the checkpoint file of the run file at `runPath` if it exists and belongs to the
    /// run started at `startTime`; nil when there is none.
    ///
    /// - Throws: `RunFileError` when it belongs to another run or cannot be opened.
    static func open(for runPath: String, startTime: String, writable: Bool) throws -> RunCheckpointFile? {
        let path = path(for: runPath)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = writable ? try RunWriter.openForWriting(path) : try HDF5File.open(path: path, mode: .readOnly)
        do {
            let stamp = try file.root.stringAttribute("run_start_time")
            guard stamp == startTime else {
                throw RunFileError("\(path): run_start_time is \(stamp), but \(runPath) was started at \(startTime); "
                                   + "the checkpoint file is left from another run of that name")
            }
            if writable { try file.startSWMRWrite() }
        } catch {
            try? file.close()
            throw error
        }
        return RunCheckpointFile(path: path, file: file)
    }

    /// Why the checkpoint file of the run started at `startTime`, whose run file's
    /// `checkpoint/meta` holds `meta`, cannot serve: missing, left from another run, unreadable
    /// (with the reason), or holding another checkpoint in that slot; nil when it matches.
    static func problem(for runPath: String, startTime: String, meta: CheckpointMeta) -> String? {
        do {
            guard let f = try open(for: runPath, startTime: startTime, writable: false) else {
                return "its checkpoint file \(path(for: runPath)) is gone"
            }
            defer { try? f.close() }
            let stored = try f.file.root.dataset(metaPath(meta.slot)).read(as: Int64.self).values
            guard stored == meta.values else {
                let step = CheckpointMeta(stored).map { "step \($0.step)" } ?? "no checkpoint"
                return "its checkpoint file \(f.path) holds \(step) in slot \(meta.slot), but the run file's checkpoint is step "
                    + "\(meta.step): the checkpoint file is from another moment of this run"
            }
            return nil
        } catch {
            return "its checkpoint file cannot be used: \(error)"
        }
    }

    /// Writes parameters and AdamW moments into `meta`'s slot, flushes, then the slot's copy of
    /// `meta`, and flushes again.
    func write(meta: CheckpointMeta, parameters: [Tensor<Float>], optimizer: AdamW<Float>) throws {
        try Self.writeSlot(meta.slot, in: file.root, parameters: parameters, optimizer: optimizer)
        try file.flush()
        try file.root.dataset(Self.metaPath(meta.slot)).overwrite(meta.values)
        try file.flush()
    }

    /// Overwrites `slot`'s `params`, `adam_m` and `adam_v` datasets under `root` (a run file's or a
    /// checkpoint file's) with the parameters and AdamW moments; no flush.
    static func writeSlot(_ slot: Int, in root: HDF5Group, parameters: [Tensor<Float>], optimizer: AdamW<Float>) throws {
        let base = "\(RunLayout.slot(slot))/"
        for (i, p) in parameters.enumerated() {
            try root.dataset(base + "params/" + p.name).overwrite(p.array)
            try root.dataset(base + "adam_m/" + p.name).overwrite(Array(UnsafeBufferPointer(start: optimizer.m[i].pointer, count: p.count)))
            try root.dataset(base + "adam_v/" + p.name).overwrite(Array(UnsafeBufferPointer(start: optimizer.v[i].pointer, count: p.count)))
        }
    }

    func close() throws { try file.close() }

    /// Removes the checkpoint file of the run file at `runPath`, if any.
    static func remove(for runPath: String) throws {
        let path = path(for: runPath)
        if unlink(path) != 0 && errno != ENOENT {
            throw RunFileError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}
