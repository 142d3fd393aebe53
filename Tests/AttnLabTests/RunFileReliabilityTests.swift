import AttnLab
import Foundation
import Testing

/// The run-file fault kinds of the reliability issue, in-process: one writer per run file,
/// files that appear only when complete, damaged and cut-short files that fail fast with the
/// file's name, half-written curve rows, and HDF5's OS-error records made readable. The
/// process-level faults (SIGKILL at random moments, a full disk on a tmpfs, concurrent
/// commands, damaged files against every command) are in scripts/fault-injection.sh, run by CI.
@Suite struct RunFileReliabilityTests {
    /// A second lock on the same run file is refused with the holder's pid and host; after the
    /// holder releases, the lock is free and its sidecar gone.
    @Test func oneWriterPerRunFile() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.results.appendingPathComponent("exp/run.h5").path
        #expect(RunFileLock.holder(of: path) == nil)
        let lock = try RunFileLock.acquire(for: path)
        let holder = try #require(RunFileLock.holder(of: path))
        #expect(holder.contains("pid \(getpid())") && holder.contains(ProcessInfo.processInfo.hostName))
        do {
            _ = try RunFileLock.acquire(for: path)
            Issue.record("a second writer was let in")
        } catch let error as RunFileError {
            #expect(error.description.contains(path) && error.description.contains("pid \(getpid())"))
        }
        lock.release()
        #expect(RunFileLock.holder(of: path) == nil)
        let entries = try FileManager.default.contentsOfDirectory(atPath: box.results.appendingPathComponent("exp").path)
        #expect(entries.isEmpty, "lock sidecar left behind: \(entries)")
        try RunFileLock.acquire(for: path).release()
    }

    /// Every writing path goes through the lock: a run, a resume and an overwrite of a file whose
    /// lock is held all refuse before touching it, naming the holder.
    @Test func trainingRefusesAFileSomeoneElseWrites() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("busy")
        let exp = try box.load("busy", ["train.steps=4", "schedule.warmup_steps=1"])
        let path = box.path("busy", "mha")
        _ = try runExperiment(exp, resultsDirectory: box.results, quiet: true)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let lock = try RunFileLock.acquire(for: path)
        defer { lock.release() }
        for attempt in ["overwrite", "resume", "trainRun"] {
            do {
                switch attempt {
                case "overwrite": _ = try runExperiment(exp, resultsDirectory: box.results, overwrite: true, quiet: true)
                case "resume": _ = try runExperiment(exp, resultsDirectory: box.results, resumePath: path, quiet: true)
                default: _ = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, replace: true, quiet: true)
                }
                Issue.record("\(attempt) wrote a file another process holds")
            } catch {
                #expect("\(error)".contains("pid \(getpid())"), "\(attempt): \(error)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(attempt) changed the file")
        }
    }

    /// A lock dies with its holder, SIGKILL included: the next writer gets it.
    @Test func aKilledHolderReleasesTheLock() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.results.appendingPathComponent("run.h5").path
        try FileManager.default.createDirectory(at: box.results, withIntermediateDirectories: true)
        // A shell takes the same kind of lock on the sidecar with flock(1) from util-linux, then
        // becomes `sleep` (exec keeps the locked descriptor in the same process).
        let sidecar = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(".run.h5.lock").path
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>'\(sidecar)' && flock -x 9 && exec sleep 60"]
        try holder.run()
        let deadline = Date().addingTimeInterval(10)
        while RunFileLock.holder(of: path) == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(throws: RunFileError.self) { try RunFileLock.acquire(for: path) }
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        try RunFileLock.acquire(for: path).release()
    }

    /// A run file appears only when complete: a creation that fails part-way leaves neither the
    /// file nor its temporary, so a plain re-run works afterwards.
    @Test func failedCreationLeavesNothingBehind() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.results.appendingPathComponent("exp/run.h5").path
        let lock = try RunFileLock.acquire(for: path)
        defer { lock.release() }
        let (config, metadata) = syntheticRun()
        // Two parameters of the same name make the layout fail after the file was created.
        let twins = [Tensor<Float>(zeros: [2], name: "w"), Tensor<Float>(zeros: [2], name: "w")]
        #expect(throws: RunFileError.self) {
            _ = try RunWriter.create(path: path, lock: lock, metadata: metadata, model: config.model, contextLength: 8,
                                     parameters: twins, evalColumns: ["loss"], periodicWindows: 4, saveWeights: true, flushSeconds: 1)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: box.results.appendingPathComponent("exp").path)
        #expect(left == [".run.h5.lock"], "left behind: \(left)")
        let writer = try RunWriter.create(path: path, lock: lock, metadata: metadata, model: config.model, contextLength: 8,
                                          parameters: [twins[0]], evalColumns: ["loss"], periodicWindows: 4, saveWeights: true, flushSeconds: 1)
        try writer.close()
        #expect(try RunReader(path: path).status().status == .running)
    }

    /// A killed writer's file (marked open for write, so it opens in SWMR mode, where HDF5 skips
    /// its own length check) cut short by one byte, by half and to 4 KiB is reported within
    /// seconds, naming the file; bit flips in its metadata fail fast instead of retrying for
    /// minutes.
    @Test func damagedFilesFailFastWithTheirName() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = try killedWriterFile(box)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try RunReader(path: path).trainSteps() == [1, 2, 3])
        let copy = box.root.appendingPathComponent("copy.h5")
        for length in [bytes.count - 1, bytes.count / 2, 4096] {
            try bytes.prefix(length).write(to: copy)
            let started = Date()
            do {
                let r = try RunReader(path: copy.path)
                _ = try r.status()
                Issue.record("a file cut to \(length) of \(bytes.count) bytes was read as whole")
            } catch {
                #expect("\(error)".contains(copy.path), "\(error)")
            }
            #expect(Date().timeIntervalSince(started) < 5)
        }
        var rng = SeededRandom(seed: 11)
        for _ in 0..<12 {
            var flipped = bytes
            for _ in 0..<4 {
                let i = rng.below(2048)
                flipped[i] ^= UInt8(1 << rng.below(8))
            }
            try flipped.write(to: copy)
            let started = Date()
            do {
                let r = try RunReader(path: copy.path)
                _ = try r.status()
                _ = try r.trainSteps()
                _ = try r.configTOML
            } catch {
                #expect("\(error)".contains(copy.path), "\(error)")
            }
            #expect(Date().timeIntervalSince(started) < 5, "a damaged file took \(Date().timeIntervalSince(started)) s")
        }
    }

    /// Rows a failed write or a kill left half-written are not read: data columns longer than
    /// `step` (which the writer appends last), and a `step` column extended but never written
    /// (zeros, as a write that fails after HDF5 grew the dataset leaves it).
    @Test func halfWrittenRowsAreNotRead() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = try killedWriterFile(box, closeCleanly: true)
        do {
            let file = try HDF5File.open(path: path, mode: .readWrite)
            try file.root.appendableDataset("train/loss", of: Double.self).append([0, 0])
            try file.root.appendableDataset("train/lr", of: Double.self).append([0])
            try file.close()
        }
        let r = try RunReader(path: path)
        #expect(try r.trainSteps() == [1, 2, 3])
        #expect(try r.trainColumn("loss").count == 3 && r.trainColumn("lr").count == 3)
        #expect(try r.trainColumn("loss").allSatisfy { $0 > 0 })
        try r.close()
        do {
            let file = try HDF5File.open(path: path, mode: .readWrite)
            for c in ["lr", "grad_norm", "tokens_per_s", "elapsed_s", "activation_bytes", "peak_rss_bytes"] {
                try file.root.appendableDataset("train/" + c, of: Double.self).append(c == "lr" ? [0] : [0, 0])
            }
            try file.root.appendableDataset("train/step", of: Int64.self).append([0, 0])
            try file.close()
        }
        let r2 = try RunReader(path: path)
        #expect(try r2.trainSteps() == [1, 2, 3])
        #expect(try r2.trainColumn("grad_norm").count == 3)
    }

    /// A child process started while a file is open does not inherit HDF5's descriptor (and its
    /// lock): the file reopens for writing while the child still runs.
    @Test func childProcessesDoNotInheritOpenFiles() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.root.appendingPathComponent("open.h5").path
        let file = try HDF5File.create(path: path)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() }
        try file.close()
        let again = try HDF5File.open(path: path, mode: .readWrite)
        try again.close()
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.processIdentifier)/fd")
        let inherited = fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.processIdentifier)/fd/\($0)") }
        #expect(!inherited.contains(path), "the child holds \(path)")
    }

    /// A missing path, a file that is not HDF5 and an HDF5 file that is not a run file, given where
    /// a run file is expected (`inspect`, `run --resume`, reports), are refused naming the file and
    /// saying what was expected (the checkpoint-file case: `TrainingTests`).
    @Test func wrongFilesForARunFileSayWhatWasExpected() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let missing = box.root.appendingPathComponent("nope.h5").path
        let text = box.root.appendingPathComponent("text.h5").path
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: text))
        let other = box.root.appendingPathComponent("other.h5").path
        let f = try HDF5File.create(path: other)
        try f.root.setAttribute("x", .int(1))
        try f.close()
        let expected = "expected a run file written by `attnlab run`"
        for (path, words) in [(missing, expected), (text, expected), (box.root.path, expected),
                              (other, "is an HDF5 file without the root attributes `format_version` and `run`; " + expected)] {
            do { _ = try RunReader(path: path); Issue.record("\(path) opened as a run file") } catch {
                #expect("\(error)".contains(path) && "\(error)".contains(words), "\(error)")
            }
        }
    }

    /// A named pipe, a device or a directory where a run file, a corpus or an experiment is
    /// expected is refused at once, naming it (a FIFO used to block `inspect` forever).
    @Test func nonRegularInputsAreRefusedAtOnce() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let fifo = box.experiments.appendingPathComponent("pipe.toml").path
        #expect(mkfifo(fifo, 0o644) == 0)
        for input in [fifo, "/dev/zero", box.root.path] {
            let started = Date()
            do {
                _ = try RunReader(path: input)
                Issue.record("\(input) opened as a run file")
            } catch {
                #expect("\(error)".contains(input), "\(error)")
            }
            #expect(throws: DataError.self) { _ = try TextCorpus.file(input) }
            #expect(Date().timeIntervalSince(started) < 5)
        }
        do {
            _ = try loadExperiment(name: "pipe", directory: box.experiments)
            Issue.record("a FIFO loaded as an experiment")
        } catch {
            #expect("\(error)".contains("named pipe"), "\(error)")
        }
    }

    /// A file left at `running` reads as killed when nobody holds its lock, and as live when
    /// somebody does; a resume with another config names the keys that differ.
    @Test func killedAndLiveRunsAreToldApart() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = try killedWriterFile(box)
        #expect(try RunRecord(path: path).statusDescription.hasPrefix("not running: killed"))
        let lock = try RunFileLock.acquire(for: path)
        #expect(try RunRecord(path: path).statusDescription.contains("being written by pid \(getpid())"))
        lock.release()
        var other = ExperimentConfig()
        other.train.steps = 7
        #expect(other.differences(from: ExperimentConfig()) == ["train.steps: 7 in the file, \(ExperimentConfig().train.steps) now"])
    }

    /// HDF5's file drivers report an OS error as one multi-line record; the message keeps what a
    /// user acts on.
    @Test func osErrorsFromHDF5AreReadable() {
        let record = "file write failed: time = Sun Nov 29 11:21:41 2026\n, filename = '/x/.r.h5.creating', file descriptor = 3, errno = 28, error message = 'No space left on device', buf = 0x5558978034e7, total write size = 3537 (in H5FD__sec2_write)"
        #expect(HDF5Error.readableReason(record) == "file write failed: No space left on device (errno 28)")
        #expect(HDF5Error.readableReason("a\nb") == "a b")
    }
}

/// The config and metadata of a synthetic MHA run `exp/run`, for writing run files directly.
private func syntheticRun() -> (ExperimentConfig, RunMetadata) {
    var config = ExperimentConfig()
    config.description = "synthetic run for RunFileReliabilityTests"
    config.model.attention.kind = .mha
    let metadata = RunMetadata(experiment: "exp", runName: "run", configTOML: config.canonicalTOML(), seed: 1,
                               tokenizer: "byte", dataDescription: "none", threads: 1, blasCore: "x", blasThreads: 1)
    return (config, metadata)
}

/// A run file as a SWMR writer leaves it when killed after three logged steps: copied while
/// the writer still had it open, so it carries HDF5's "open for write" mark. With
/// `closeCleanly` the writer's own, closed file is returned instead.
private func killedWriterFile(_ box: TrainingSandbox, closeCleanly: Bool = false) throws -> String {
    let path = box.results.appendingPathComponent("exp/run.h5").path
    let lock = try RunFileLock.acquire(for: path)
    defer { lock.release() }
    let (config, metadata) = syntheticRun()
    let writer = try RunWriter.create(path: path, lock: lock, metadata: metadata, model: config.model, contextLength: 8,
                                      parameters: [Tensor<Float>(zeros: [64, 64], name: "w")], evalColumns: ["loss"], periodicWindows: 4,
                                      saveWeights: true, flushSeconds: 1000)
    for step in 1...3 { try writer.log(TrainRecord(step: step, loss: 1 / Double(step), lr: 1e-3, gradNorm: 1, tokensPerSecond: 1, elapsed: 1)) }
    try writer.flush()
    if closeCleanly {
        try writer.close()
        return path
    }
    let copy = box.root.appendingPathComponent("killed.h5").path
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    try writer.close()
    return copy
}
