import AttnLab
import Foundation
import Testing

@Suite(.serialized) struct TrainingTests {
    @Test func trainingBeatsTheUnigramBaselineAndLogsWhatItReports() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("learn", kinds: ["mha", "mla"])
        let outcomes = try runExperiment(box.load("learn", ["train.steps=200", "eval.every=100"]), resultsDirectory: box.results, quiet: true)
        let corpus = try TextCorpus.file(box.corpus.path).bytes
        let unigram = unigramEntropy(bytes: corpus)
        for o in outcomes {
            #expect(o.status == .finished && o.step == 200)
            let bits = try #require(o.finalEval["bits_per_byte"])
            #expect(bits < 0.6 * unigram, "\(o.path): \(bits) bits/byte vs unigram \(unigram)")
            // What the file holds is what the run reported.
            let r = try RunReader(path: o.path)
            #expect(try r.trainSteps() == Array(1...200))
            #expect(try r.trainColumn("loss").count == 200)
            #expect(try r.evalSteps() == [100, 200])
            #expect(try r.finalEvaluation()?.values["bits_per_byte"] == bits)
            #expect(try r.evalColumn("bits_per_byte").count == 2)
            #expect(try r.status() == (.finished, 200))
            #expect(try r.checkpoint()?.state.step == 200)
            try r.close()
        }
    }

    @Test func mqarWithAttentionReachesHighAccuracy() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("recall", """
            [data.mqar]
            vocab = 48
            seq_len = 16
            num_kv_pairs = 1
            train_examples = 8000
            val_examples = 256
            """)
        let exp = try box.load("recall", ["data.source=mqar", "model.vocab_size=48", "train.steps=400", "eval.every=200",
                                          "log.checkpoint_every=0", "optimizer.lr=0.003", "train.batch_size=32",
                                          "data.seq_len=16", "optimizer.weight_decay=0"])
        let o = try #require(try runExperiment(exp, resultsDirectory: box.results, quiet: true).first)
        #expect(o.status == .finished)
        #expect(try #require(o.finalEval["accuracy"]) > 0.9)
    }

    @Test func sameConfigAndSeedGiveIdenticalCurves() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("det", kinds: ["gqa"])
        let a = try runExperiment(box.load("det"), resultsDirectory: box.results.appendingPathComponent("a"), quiet: true)[0]
        let b = try runExperiment(box.load("det"), resultsDirectory: box.results.appendingPathComponent("b"), quiet: true)[0]
        let c = try runExperiment(box.load("det", ["train.seed=2"]), resultsDirectory: box.results.appendingPathComponent("c"), quiet: true)[0]
        let (ra, rb, rc) = (try RunReader(path: a.path), try RunReader(path: b.path), try RunReader(path: c.path))
        for col in ["loss", "lr", "grad_norm"] { #expect(try ra.trainColumn(col) == rb.trainColumn(col)) }
        #expect(try ra.evalColumn("loss") == rb.evalColumn("loss"))
        #expect(try ra.trainColumn("loss") != rc.trainColumn("loss"))
    }

    /// Interrupted at step 27 (a checkpoint between the periodic ones), then resumed: the same
    /// curves and the same final weights as a run that was never interrupted.
    @Test func interruptedAndResumedEqualsUninterrupted() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("resume", kinds: ["mla"])
        let full = try runExperiment(box.load("resume"), resultsDirectory: box.results.appendingPathComponent("full"), quiet: true)[0]
        let exp = try box.load("resume")
        let path = box.path("resume", "mla")
        let first = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, quiet: true) { step in step == 27 }
        #expect(first.status == .interrupted && first.step == 27)
        let r0 = try RunReader(path: path)
        #expect(try r0.status() == (.interrupted, 27))
        try r0.close()
        let (a, b) = try resumeAndCompare(exp, box: box, path: path, reference: full.path, resumedAt: [27])
        let config = exp.runs[0].config.model
        let (ma, mb) = (DecoderLM<Float>(config, seed: 0), DecoderLM<Float>(config, seed: 0))
        _ = try a.loadCheckpoint(into: ma.parameters)
        _ = try b.loadCheckpoint(into: mb.parameters)
        for (p, q) in zip(ma.parameters, mb.parameters) { #expect(p.array == q.array, "\(p.name)") }
    }

    /// A checkpoint tensor changed on disk (one flipped mantissa bit, which no range check could
    /// see) is refused when it is read, by its Fletcher-32 checksum, instead of being resumed from.
    @Test func aCheckpointChangedOnDiskIsRefused() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("flip", kinds: ["mha"])
        let exp = try box.load("flip")
        let path = box.path("flip", "mha")
        let first = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, quiet: true) { step in step == 7 }
        #expect(first.status == .interrupted && first.step == 7)
        let model = DecoderLM<Float>(exp.runs[0].config.model, seed: 0)
        let r0 = try RunReader(path: path)
        _ = try r0.loadCheckpoint(into: model.parameters)
        try r0.close()
        // 8 consecutive values of the largest weight, found once in the file, get one bit flipped.
        let weight = model.parameters.max { $0.count < $1.count }!
        let needle = weight.array.prefix(8).withUnsafeBufferPointer { Data(buffer: $0) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let hit = bytes.range(of: needle), bytes[hit.upperBound...].range(of: needle) == nil else {
            Issue.record("the weight's bytes are not in the file exactly once"); return
        }
        bytes[hit.lowerBound + 1] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        let r1 = try RunReader(path: path)
        do { _ = try r1.loadCheckpoint(into: model.parameters); Issue.record("a changed checkpoint was read") } catch {
            #expect("\(error)".contains(weight.name) && "\(error)".lowercased().contains("checksum"), "\(error)")
        }
        try r1.close()
        #expect(throws: (any Error).self) { _ = try runExperiment(exp, resultsDirectory: box.results, resumePath: path, quiet: true) }
    }

    /// `--resume` with a `--run` that names another run, or with `--overwrite`, is refused with the
    /// reason before anything is trained or changed (both used to be ignored silently).
    @Test func resumeRefusesAnotherRunOrOverwrite() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("two", kinds: ["mha", "gqa"])
        let exp = try box.load("two")
        let path = box.path("two", "mha")
        let first = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, quiet: true) { step in step == 2 }
        #expect(first.status == .interrupted)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        func refusal(only: [String] = [], overwrite: Bool = false) -> String {
            do {
                _ = try runExperiment(exp, resultsDirectory: box.results, overwrite: overwrite, resumePath: path, only: only, quiet: true)
                return "resumed"
            } catch { return "\(error)" }
        }
        #expect(refusal(only: ["gqa"]) == "\(path) records run mha, but --run gqa was given; drop --run, or give the file of that run")
        #expect(refusal(overwrite: true) == "\(path): resuming a run and overwriting it contradict each other; give one of them")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// Without saved weights (`log.save_weights = false`, the study's setting) checkpoints go to
    /// `RUN.h5.checkpoint` while the run trains. Interrupted at step 27 and resumed, the run gives
    /// the curves of an uninterrupted one bit for bit; the finished file holds no weights and no
    /// checkpoint, and the checkpoint file is gone. A checkpoint file that is missing, or left from
    /// another run of the same name, is no checkpoint; set aside, it goes along with its run file.
    @Test func runsWithoutSavedWeightsResumeFromTheirCheckpointFile() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("nw", kinds: ["mla"])
        let sets = ["log.save_weights=false", "log.checkpoint_every=10"]
        let full = try runExperiment(box.load("nw", sets), resultsDirectory: box.results.appendingPathComponent("full"), quiet: true)[0]
        #expect(full.status == .finished && !FileManager.default.fileExists(atPath: RunCheckpointFile.path(for: full.path)))
        let exp = try box.load("nw", sets)
        let path = box.path("nw", "mla")
        let sidecar = RunCheckpointFile.path(for: path)
        let first = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, quiet: true) { step in step == 27 }
        #expect(first.status == .interrupted && first.step == 27)
        #expect(FileManager.default.fileExists(atPath: sidecar))
        let r0 = try RunReader(path: path)
        #expect(try r0.checkpoint()?.state.step == 27)
        #expect(try !r0.checkpointSlotsInRunFile(), "the run file holds no weights")
        try r0.close()
        #expect(try RunInspection.lines(path: path, config: false).contains("checkpoint:  step 27 (weights in \(sidecar))"))

        // A copy of the checkpoint file from another moment of the same run (step 27, put back after
        // the run went on to step 45) is refused, never resumed from (it would give wrong curves).
        let older = box.results.appendingPathComponent("older.checkpoint").path
        try FileManager.default.copyItem(atPath: sidecar, toPath: older)
        let later = try trainRun(experiment: exp.name, run: exp.runs[0], path: path, resume: true, quiet: true) { step in step == 45 }
        #expect(later.status == .interrupted && later.step == 45)
        try FileManager.default.copyItem(atPath: sidecar, toPath: older + ".45")
        try FileManager.default.removeItem(atPath: sidecar)
        try FileManager.default.copyItem(atPath: older, toPath: sidecar)
        let moved = try RunReader(path: path)
        #expect(try moved.checkpoint() == nil)
        let problem = try moved.checkpointFileProblem() ?? "none"
        #expect(problem.contains("holds step 20 in slot 1, but the run file's checkpoint is step 45: "
                                 + "the checkpoint file is from another moment of this run"), "\(problem)")
        try moved.close()
        #expect(throws: RunFileError.self) { _ = try runExperiment(exp, resultsDirectory: box.results, resumePath: path, quiet: true) }
        // The sweep and its --status say why it would restart, not merely "without a checkpoint".
        guard case .present(let facts) = sweepFileState(path: path, config: exp.runs[0].config) else { Issue.record("\(path) not present"); return }
        #expect(facts.checkpointStep == nil && facts.noCheckpointReason?.contains("another moment of this run") == true, "\(facts)")
        // The checkpoint file given where a run file is expected is named for what it is.
        do { _ = try RunReader(path: sidecar); Issue.record("the checkpoint file opened as a run file") } catch {
            #expect("\(error)" == "\(sidecar) is the checkpoint file of the run file mla.h5 beside it, not a run file; give mla.h5 instead")
        }
        // The right one back: resumes from step 45.
        try FileManager.default.removeItem(atPath: sidecar)
        try FileManager.default.copyItem(atPath: older + ".45", toPath: sidecar)

        // Set aside and back: the checkpoint file goes along and still belongs to its run file.
        let aside = try moveRunFileAside(path: path, asideName: "mla.h5.aside")
        #expect(!FileManager.default.fileExists(atPath: sidecar) && FileManager.default.fileExists(atPath: RunCheckpointFile.path(for: aside)))
        let ra = try RunReader(path: aside)
        #expect(try ra.checkpoint()?.state.step == 45)
        try ra.close()
        _ = try moveRunFileAside(path: aside, asideName: "mla.h5")
        #expect(FileManager.default.fileExists(atPath: sidecar))

        // Resumed at 27 (to 45), refused once, then resumed at 45: two resumes on record.
        let (a, b) = try resumeAndCompare(exp, box: box, path: path, reference: full.path, resumedAt: [27, 45])
        #expect(try b.checkpoint() == nil)
        #expect(!FileManager.default.fileExists(atPath: sidecar))
        try a.close(); try b.close()
        #expect(try RunInspection.lines(path: path, config: false)
                    .contains("checkpoint:  none (a finished run without saved weights keeps no checkpoint)"))

        // A checkpoint file from another run of the same name (another start time), or none: no checkpoint.
        let again = try runExperiment(exp, resultsDirectory: box.results, overwrite: true, quiet: true)[0]
        #expect(again.status == .finished)
        let second = try trainRun(experiment: exp.name, run: exp.runs[0], path: box.path("nw2", "mla"), quiet: true) { step in step == 15 }
        #expect(second.status == .interrupted)
        let foreign = RunCheckpointFile.path(for: box.path("nw2", "mla"))
        let stale = try HDF5File.open(path: foreign, mode: .readWrite)
        try stale.root.setAttribute("run_start_time", .string("2000-01-01T00:00:00Z"))
        try stale.close()
        let model = DecoderLM<Float>(exp.runs[0].config.model, seed: 0)
        func refusal(_ expected: String) throws {
            let r = try RunReader(path: box.path("nw2", "mla"))
            defer { try? r.close() }
            #expect(try r.checkpoint() == nil)
            let error = try #require(throws: RunFileError.self) { _ = try r.loadCheckpoint(into: model.parameters) }
            #expect(error.description.contains(expected), "\(error)")
        }
        try refusal("the checkpoint file is left from another run of that name")
        try Data("not HDF5".utf8).write(to: URL(fileURLWithPath: foreign))
        try refusal("its checkpoint file cannot be used")
        try FileManager.default.removeItem(atPath: foreign)
        try refusal("its checkpoint file \(foreign) is gone")
    }

    @Test func nonFiniteLossStopsTheRunAndKeepsTheCurve() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("boom")
        let exp = try box.load("boom", ["optimizer.lr=1e30", "optimizer.clip_grad_norm=0", "schedule.warmup_steps=0"])
        let o = try runExperiment(exp, resultsDirectory: box.results, quiet: true)[0]
        #expect(o.status == .diverged)
        let r = try RunReader(path: o.path)
        let (status, step) = try r.status()
        #expect(status == .diverged && step == o.step && step < 60)
        let (losses, norms) = (try r.trainColumn("loss"), try r.trainColumn("grad_norm"))
        #expect(losses.count == step)
        #expect(!(losses.last!.isFinite && norms.last!.isFinite))
        #expect(zip(losses, norms).dropLast().allSatisfy { $0.isFinite && $1.isFinite })
    }

    @Test func existingResultsAreNeverOverwrittenSilently() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("twice", kinds: ["mha", "mqa"])
        let exp = try box.load("twice", ["train.steps=5", "schedule.warmup_steps=1"])
        _ = try runExperiment(exp, resultsDirectory: box.results, only: ["mha"], quiet: true)
        let before = try Data(contentsOf: URL(fileURLWithPath: box.path("twice", "mha")))
        #expect(throws: RunFileError.self) { try runExperiment(exp, resultsDirectory: box.results, quiet: true) }
        // Nothing was trained: mqa has no file, mha is untouched.
        #expect(!FileManager.default.fileExists(atPath: box.path("twice", "mqa")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.path("twice", "mha"))) == before)
        #expect(try runExperiment(exp, resultsDirectory: box.results, overwrite: true, quiet: true).count == 2)
    }

    /// Two Ctrl-Cs in quick succession: the process ends with 130 and says how it stopped, at once
    /// (second interrupt, no checkpoint) or, when the first was handled before the second arrived,
    /// at the step boundary with a checkpoint; either way the file opens with its flushed steps.
    @Test func aSecondInterruptStopsAtOnceAndSaysSo() throws {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("twice", kinds: ["mha"])
        let p = Process()
        p.executableURL = exe
        p.arguments = ["run", "twice", "--set", "train.steps=5000", "--experiments", box.experiments.path, "--results", box.results.path]
        let errURL = box.results.appendingPathComponent("stderr.txt")
        try FileManager.default.createDirectory(at: box.results, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let path = box.path("twice", "mha")
        let deadline = Date().addingTimeInterval(120)
        var seen = 0
        while seen < 20 && Date() < deadline && p.isRunning {
            Thread.sleep(forTimeInterval: 0.02)
            if let r = try? RunReader(path: path) { seen = (try? r.trainSteps().count) ?? 0; try? r.close() }
        }
        #expect(p.isRunning, "the run ended before it could be interrupted")
        kill(p.processIdentifier, SIGINT)
        usleep(2_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let err = try String(contentsOf: errURL, encoding: .utf8)
        #expect(p.terminationStatus == 130, "\(err)")
        #expect(err.contains("attnlab: stopped at once by a second interrupt, without a checkpoint") || err.contains("interrupted at step"), "\(err)")
        let r = try RunReader(path: path)
        #expect(try r.trainSteps().count >= 1)
        try r.close()
    }

    /// SIGKILL mid-training: the file still opens with every flushed step, and `--resume`
    /// continues it to the same curve as an uninterrupted run; also without saved weights, whose
    /// checkpoint file the kill may have caught mid-write.
    @Test(arguments: [true, false]) func killedRunLeavesAReadableFileThatResumes(saveWeights: Bool) throws {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("kill", kinds: ["mqa"])
        let sets = ["--set", "train.steps=400", "--set", "log.checkpoint_every=25", "--set", "eval.every=100",
                    "--set", "log.save_weights=\(saveWeights)"]
        func attnlab(_ args: [String], results: URL) throws -> Process {
            let p = Process()
            p.executableURL = exe
            p.arguments = args + ["--experiments", box.experiments.path, "--results", results.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let victim = try attnlab(["run", "kill"] + sets, results: box.results)
        let path = box.path("kill", "mqa")
        var seen = 0
        let deadline = Date().addingTimeInterval(120)
        while seen < 60 && Date() < deadline && victim.isRunning {
            Thread.sleep(forTimeInterval: 0.02)
            if let r = try? RunReader(path: path) { seen = (try? r.trainSteps().count) ?? 0; try? r.close() }
        }
        #expect(victim.isRunning, "the run ended before it could be killed")
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let r = try RunReader(path: path)
        let steps = try r.trainSteps()
        #expect(steps.count >= 60 && steps == Array(1...steps.count))
        #expect(try r.status().status == .running)
        try r.close()
        // The sweep's view of the killed file: its last flushed step (not the 0 of /status_step) and its checkpoint.
        let config = try box.load("kill", stride(from: 1, to: sets.count, by: 2).map { sets[$0] }).runs[0].config
        guard case .present(let facts) = sweepFileState(path: path, config: config) else {
            Issue.record("the killed file did not read as present")
            return
        }
        #expect(facts.status == .running && facts.step == steps.last && facts.configMatches)
        #expect(facts.checkpointStep.map { $0 > 0 && $0 <= steps.count && $0 % 25 == 0 } == true)
        let resume = try attnlab(["run", "kill", "--resume", path] + sets, results: box.results)
        resume.waitUntilExit()
        #expect(resume.terminationStatus == 0)
        let reference = try attnlab(["run", "kill"] + sets, results: box.results.appendingPathComponent("ref"))
        reference.waitUntilExit()
        let (a, b) = (try RunReader(path: path), try RunReader(path: runFilePath(resultsDirectory: box.results.appendingPathComponent("ref"), experiment: "kill", run: "mqa")))
        #expect(try a.status() == (.finished, 400))
        #expect(try a.trainColumn("loss") == b.trainColumn("loss"))
        #expect(!FileManager.default.fileExists(atPath: RunCheckpointFile.path(for: path)))
    }

    /// Resumes the run file at `path` to the end of `exp`'s 60 steps and expects the curves of the
    /// uninterrupted run at `reference`, bit for bit; returns both readers (reference first).
    /// Resumes the run at `path` to its end and compares its curves with the uninterrupted run at
    /// `reference`; the resumed file must record one `resumes` line per step in `resumedAt`.
    func resumeAndCompare(_ exp: Experiment, box: TrainingSandbox, path: String, reference: String, resumedAt: [Int]) throws -> (RunReader, RunReader) {
        let resumed = try runExperiment(exp, resultsDirectory: box.results, resumePath: path, quiet: true)[0]
        #expect(resumed.status == .finished && resumed.step == 60)
        let (a, b) = (try RunReader(path: reference), try RunReader(path: path))
        #expect(try a.resumes().isEmpty)
        let lines = try b.resumes()
        #expect(lines.map { $0.split(separator: " ")[1] } == resumedAt.map { Substring(String($0)) }, "\(lines)")
        let commit = AttnLabVersion.gitCommit(), host = ProcessInfo.processInfo.hostName
        #expect(lines.allSatisfy { $0.hasPrefix("step ") && $0.hasSuffix(" commit \(commit) host \(host)") }, "\(lines)")
        #expect(try RunInspection.lines(path: path, config: false).filter { $0.hasPrefix("resumed:     step ") }.count == resumedAt.count)
        #expect(try a.trainSteps() == b.trainSteps())
        for col in ["loss", "lr", "grad_norm"] { #expect(try a.trainColumn(col) == b.trainColumn(col)) }
        #expect(try a.evalColumn("loss") == b.evalColumn("loss"))
        return (a, b)
    }
}
