import AttnLab
import Foundation
import Testing

@Suite(.serialized) struct SweepTests {
    // MARK: planning (pure)

    @Test func plannerChoosesAnActionForEveryState() {
        let dir = "/r/x"
        let runs = ["new", "done", "other", "stopped", "killed", "nockpt", "killednockpt", "div", "busy", "broken"].map { (name: $0, path: "\(dir)/\($0).h5") }
        func facts(_ s: RunStatus, step: Int = 30, ckpt: Int? = 20, matches: Bool = true, live: Bool = false, why: String? = nil) -> SweepFileState {
            .present(SweepFileFacts(status: s, step: step, checkpointStep: ckpt, configMatches: matches, writer: live ? "pid 1 on h since t" : nil,
                                    storedThreads: 1, noCheckpointReason: why))
        }
        let states: [String: SweepFileState] = [
            "\(dir)/done.h5": facts(.finished), "\(dir)/other.h5": facts(.finished, matches: false),
            "\(dir)/stopped.h5": facts(.interrupted), "\(dir)/killed.h5": facts(.running, ckpt: 10),
            "\(dir)/nockpt.h5": facts(.interrupted, ckpt: nil, why: "it stopped before its first checkpoint"), "\(dir)/killednockpt.h5": facts(.running, step: 3, ckpt: nil),
            "\(dir)/div.h5": facts(.diverged, step: 17), "\(dir)/busy.h5": facts(.running, live: true),
            "\(dir)/broken.h5": .unreadable(reason: "not HDF5", writer: nil),
        ]
        // nockpt.h5.incomplete-1 already exists, so the first free number is 2.
        let plan = planSweep(runs: runs, states: states, existingNames: ["nockpt.h5", "nockpt.h5.incomplete-1"])
        let actions = Dictionary(uniqueKeysWithValues: plan.map { ($0.run, $0.action) })
        #expect(plan.map(\.run) == runs.map(\.name))
        #expect(actions["new"] == .train)
        #expect(actions["done"] == .skip)
        #expect(actions["stopped"] == .resume(fromStep: 20, threads: 1))
        #expect(actions["killed"] == .resume(fromStep: 10, threads: 1))
        #expect(actions["nockpt"] == .restart(asideName: "nockpt.h5.incomplete-2", reason: "interrupted at step 30 without a usable checkpoint (it stopped before its first checkpoint)"))
        #expect(actions["killednockpt"] == .restart(asideName: "killednockpt.h5.incomplete-1", reason: "killed at step 3 without a usable checkpoint"))
        #expect(actions["div"] == .diverged(step: 17))
        guard case .conflict(let why)? = actions["other"] else { Issue.record("other: \(String(describing: actions["other"]))"); return }
        #expect(why.contains("\(dir)/other.h5") && why.contains("different configuration"))
        guard case .conflict? = actions["busy"] else { Issue.record("busy: \(String(describing: actions["busy"]))"); return }
        guard case .restart(let aside, _)? = actions["broken"] else { Issue.record("broken: \(String(describing: actions["broken"]))"); return }
        #expect(aside == "broken.h5.incomplete-1")
        #expect(plan.filter(\.action.trains).map(\.run) == ["new", "stopped", "killed", "nockpt", "killednockpt", "broken"])
    }

    @Test func twoRestartsInOnePlanGetDistinctAsideNames() {
        let runs = [(name: "a", path: "/r/a.h5"), (name: "b", path: "/r/b.h5")]
        let s = SweepFileState.present(SweepFileFacts(status: .interrupted, step: 5, checkpointStep: nil, configMatches: true, writer: nil))
        let plan = planSweep(runs: runs, states: ["/r/a.h5": s, "/r/b.h5": s], existingNames: ["a.h5.incomplete-1", "a.h5.incomplete-2"])
        #expect(plan.map(\.action) == [.restart(asideName: "a.h5.incomplete-3", reason: "interrupted at step 5 without a usable checkpoint"),
                                      .restart(asideName: "b.h5.incomplete-1", reason: "interrupted at step 5 without a usable checkpoint")])
    }

    @Test func threadsEtaAndOverrides() {
        #expect(sweepThreadsPerJob(cores: 2, jobs: 1) == 2)
        #expect(sweepThreadsPerJob(cores: 2, jobs: 2) == 1)
        #expect(sweepThreadsPerJob(cores: 2, jobs: 4) == 1)
        #expect(sweepThreadsPerJob(cores: 8, jobs: 3) == 2)
        #expect(overridesSetThreads(["train.steps=5", " train.threads = 3"]))
        #expect(!overridesSetThreads(["train.steps=5", "train.threadsx=1"]))
        #expect(sweepETA(finishedDurations: [], runningElapsed: [1], pending: 3, jobs: 2) == nil)
        // Mean 10 s: two pending runs (20 s) plus a running one 4 s in (6 s left), over 2 slots.
        #expect(sweepETA(finishedDurations: [8, 12], runningElapsed: [4], pending: 2, jobs: 2) == 13)
        // A run past the mean adds nothing; one slot left in use.
        #expect(sweepETA(finishedDurations: [10], runningElapsed: [15], pending: 0, jobs: 4) == 0)
        #expect(sweepClock(3725) == "1:02:05" && sweepClock(65) == "1:05")
    }

    @Test func configComparisonIgnoresOnlyThreads() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("cmp")
        let base = try box.load("cmp").runs[0].config
        #expect(sameRunConfig(base, try box.load("cmp", ["train.threads=3"]).runs[0].config))
        #expect(!sameRunConfig(base, try box.load("cmp", ["train.steps=61"]).runs[0].config))
    }

    @Test func movingAsideNeverReplacesAFile() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let a = box.root.appendingPathComponent("a.h5").path, taken = box.root.appendingPathComponent("a.h5.incomplete-1").path
        try "run".write(toFile: a, atomically: true, encoding: .utf8)
        try "older".write(toFile: taken, atomically: true, encoding: .utf8)
        #expect(throws: RunFileError.self) { try moveRunFileAside(path: a, asideName: "a.h5.incomplete-1") }
        #expect(try String(contentsOfFile: taken, encoding: .utf8) == "older")
        #expect(try moveRunFileAside(path: a, asideName: "a.h5.incomplete-2") == box.root.appendingPathComponent("a.h5.incomplete-2").path)
        #expect(!FileManager.default.fileExists(atPath: a))
    }
}

// MARK: end to end, through the built executable

/// Runs `attnlab` from the build folder in a sandbox; output is collected in a file so a long
/// sweep cannot block on a full pipe.
private struct SweepCLI {
    let exe: URL, box: TrainingSandbox

    /// A sandbox with experiment `experiment` (see `TrainingSandbox.experiment`) and the CLI on it;
    /// the caller removes the sandbox.
    static func inSandbox(experiment: String, kinds: [String]) throws -> (SweepCLI, TrainingSandbox) {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        try box.experiment(experiment, "", kinds: kinds)
        return (SweepCLI(exe: exe, box: box), box)
    }

    func start(_ args: [String]) throws -> (Process, URL) {
        let out = box.root.appendingPathComponent("out-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let p = Process()
        p.executableURL = exe
        p.arguments = args + ["--experiments", box.experiments.path, "--results", box.results.path]
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        // The test runner's threads block SIGINT and children inherit the mask, so the Ctrl-C
        // these tests send would never arrive; unblock it on this thread while spawning.
        var stop = sigset_t(), saved = sigset_t()
        sigemptyset(&stop)
        sigaddset(&stop, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &stop, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try p.run()
        return (p, out)
    }

    /// Runs to the end; returns the exit code and everything printed.
    func run(_ args: [String]) throws -> (Int32, String) {
        let (p, out) = try start(args)
        p.waitUntilExit()
        return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8))
    }

    /// Starts `args`, sends Ctrl-C once the run file `path` has logged `steps` steps and waits for
    /// the exit; returns the exit code and the file's status then.
    func interrupt(_ args: [String], afterSteps steps: Int, of path: String) throws -> (code: Int32, status: RunStatus, step: Int) {
        let (victim, _) = try start(args)
        #expect(waitForSteps([path], steps))
        kill(victim.processIdentifier, SIGINT)
        victim.waitUntilExit()
        let reader = try RunReader(path: path)
        defer { try? reader.close() }
        let (status, step) = try reader.status()
        return (victim.terminationStatus, status, step)
    }

    /// Waits until every file has logged at least `steps` steps (false after 120 s).
    func waitForSteps(_ paths: [String], _ steps: Int) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let counts = paths.map { p -> Int in
                guard let r = try? RunReader(path: p) else { return 0 }
                defer { try? r.close() }
                return (try? r.trainSteps().count) ?? 0
            }
            if counts.allSatisfy({ $0 >= steps }) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }
}

private func mtime(_ path: String) throws -> Date {
    try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
}

private func lines(_ output: String, _ prefix: String) -> [String] {
    output.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
}

extension SweepTests {
    /// Three runs with --jobs 2; a second sweep skips them all; then one file is deleted and one
    /// run is interrupted by Ctrl-C in `attnlab run`, and a third sweep redoes just those two.
    @Test func sweepRunsInParallelSkipsFinishedAndRedoesOnlyWhatIsMissing() throws {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("sw", "", kinds: ["mha", "gqa", "mqa"])
        let cli = SweepCLI(exe: exe, box: box)
        // Long enough that a Ctrl-C after a dozen steps lands well before the end, even unloaded.
        let sets = ["--set", "train.steps=120", "--set", "log.checkpoint_every=20", "--set", "eval.every=60"]
        let threads = sweepThreadsPerJob(cores: ProcessInfo.processInfo.activeProcessorCount, jobs: 2)

        let (code, out) = try cli.run(["sweep", "sw", "--jobs", "2"] + sets)
        #expect(code == 0, "\(out)")
        // Two runs started before any finished: they ran side by side.
        let events = out.split(separator: "\n").filter { $0.hasPrefix("start") || $0.hasPrefix("done") }
        #expect(events.prefix(2).allSatisfy { $0.hasPrefix("start") }, "\(out)")
        #expect(lines(out, "done").count == 3 && lines(out, "done").allSatisfy { $0.contains("finished") && $0.contains("val loss") })
        #expect(lines(out, "progress: 3/3 runs done").count == 1)
        #expect(out.contains("3 finished (0 resumed, 0 restarted), 0 skipped, 0 failed"))
        #expect(out.contains("table: \(box.results.appendingPathComponent("sw/summary.md").path)"))
        for run in ["mha", "gqa", "mqa"] {
            let r = try RunReader(path: box.path("sw", run))
            #expect(try r.status() == (.finished, 120))
            #expect(try ExperimentConfig(resolvedTOML: r.configTOML).train.threads == threads)
            try r.close()
            let log = try String(contentsOfFile: box.results.appendingPathComponent("sw/\(run).log").path, encoding: .utf8)
            #expect(log.contains("attnlab sweep:") && log.contains("sw/\(run) step 120/120"))
        }
        let firstMha = try mtime(box.path("sw", "mha"))

        // Again, with another --jobs (so another train.threads): nothing to do.
        let (code2, out2) = try cli.run(["sweep", "sw", "--jobs", "1"] + sets)
        #expect(code2 == 0, "\(out2)")
        #expect(lines(out2, "  ").allSatisfy { $0.hasSuffix("skip (finished)") } && lines(out2, "  ").count == 3, "\(out2)")
        #expect(lines(out2, "start").isEmpty && out2.contains("3 skipped"))
        #expect(try mtime(box.path("sw", "mha")) == firstMha)

        // A different config is an error naming the file, and nothing is touched.
        let (code3, out3) = try cli.run(["sweep", "sw", "--jobs", "2"] + sets + ["--set", "train.steps=121"])
        #expect(code3 == 1 && out3.contains("\(box.path("sw", "mha")) was written by a different configuration") && lines(out3, "start").isEmpty, "\(out3)")
        #expect(out3.contains("resolves to now (train.steps: 120 in the file, 121 now)"), "the message names the key that differs: \(out3)")
        let (_, status3) = try cli.run(["sweep", "sw", "--status"] + sets + ["--set", "train.steps=121"])
        #expect(status3.contains("file written by a different configuration (train.steps: 120 in the file, 121 now)"), "\(status3)")
        #expect(try mtime(box.path("sw", "mha")) == firstMha)

        // Delete gqa; redo mqa by hand and stop it with Ctrl-C after some steps.
        try FileManager.default.removeItem(atPath: box.path("sw", "gqa"))
        let reference = box.root.appendingPathComponent("mqa-reference.h5").path
        try FileManager.default.moveItem(atPath: box.path("sw", "mqa"), toPath: reference)
        let stoppedAt = try cli.interrupt(["run", "sw", "--run", "mqa", "--set", "train.threads=\(threads)"] + sets, afterSteps: 12, of: box.path("sw", "mqa"))
        #expect(stoppedAt.code == 130 && stoppedAt.status == .interrupted && stoppedAt.step < 120)

        let (code4, out4) = try cli.run(["sweep", "sw", "--jobs", "2"] + sets)
        #expect(code4 == 0, "\(out4)")
        #expect(lines(out4, "  mha").first?.hasSuffix("skip (finished)") == true, "\(out4)")
        #expect(lines(out4, "  gqa").first?.hasSuffix("train") == true)
        #expect(lines(out4, "  mqa").first?.hasSuffix("resume from the checkpoint at step \(stoppedAt.step)") == true)
        #expect(lines(out4, "start").count == 2 && out4.contains("2 finished (1 resumed, 0 restarted), 1 skipped, 0 failed"))
        #expect(try mtime(box.path("sw", "mha")) == firstMha)
        let (a, b) = (try RunReader(path: box.path("sw", "mqa")), try RunReader(path: reference))
        #expect(try a.status() == (.finished, 120))
        // Resumed with the thread count it was written with: the same curve as uninterrupted.
        #expect(try a.trainColumn("loss") == b.trainColumn("loss"))
        try a.close(); try b.close()
        #expect(try RunReader(path: box.path("sw", "gqa")).status() == (.finished, 120))
    }

    /// Ctrl-C to the sweep stops both children with their files marked interrupted and exits 130;
    /// without saved weights their checkpoints are in `RUN.h5.checkpoint`, so the next sweep
    /// resumes them, and the finished runs keep no checkpoint file.
    @Test func ctrlCStopsTheChildrenAndTheNextSweepResumesThem() throws {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("stop", "", kinds: ["mha", "mqa"])
        let cli = SweepCLI(exe: exe, box: box)
        let sets = ["--set", "train.steps=120", "--set", "log.save_weights=false", "--set", "eval.every=60"]
        let paths = [box.path("stop", "mha"), box.path("stop", "mqa")]
        let (sweep, outURL) = try cli.start(["sweep", "stop", "--jobs", "2"] + sets)
        #expect(cli.waitForSteps(paths, 5))
        kill(sweep.processIdentifier, SIGINT)
        sweep.waitUntilExit()
        let out = try String(contentsOf: outURL, encoding: .utf8)
        #expect(sweep.terminationStatus == 130, "\(out)")
        #expect(lines(out, "done").count == 2 && lines(out, "done").allSatisfy { $0.contains("interrupted at step") }, "\(out)")
        #expect(out.contains("not done: mha, mqa"))
        for p in paths { #expect(try RunReader(path: p).status().status == .interrupted) }

        for p in paths { #expect(FileManager.default.fileExists(atPath: RunCheckpointFile.path(for: p))) }

        let (code, out2) = try cli.run(["sweep", "stop", "--jobs", "2"] + sets)
        #expect(code == 0, "\(out2)")
        #expect(lines(out2, "  ").allSatisfy { $0.contains("resume from the checkpoint at step") }, "\(out2)")
        #expect(out2.contains("2 finished (2 resumed, 0 restarted)"))
        for p in paths {
            let r = try RunReader(path: p)
            #expect(try r.status() == (.finished, 120))
            try r.close()
            #expect(!FileManager.default.fileExists(atPath: RunCheckpointFile.path(for: p)))
            #expect(!FileManager.default.fileExists(atPath: p + ".incomplete-1"))
        }
    }

    /// A sweep killed with SIGKILL cannot forward a stop; its children notice that their parent is
    /// gone and stop as on Ctrl-C (files interrupted, locks released) instead of training on as
    /// orphans, so the next sweep can resume them.
    @Test func childrenOfAKilledSweepStopAndCanBeResumed() throws {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests; build with swift build --build-tests")
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("orphan", "", kinds: ["mha", "mqa"])
        let cli = SweepCLI(exe: exe, box: box)
        let sets = ["--set", "train.steps=100000", "--set", "eval.every=50"]
        let paths = [box.path("orphan", "mha"), box.path("orphan", "mqa")]
        let (sweep, _) = try cli.start(["sweep", "orphan", "--jobs", "2"] + sets)
        #expect(cli.waitForSteps(paths, 5))
        kill(sweep.processIdentifier, SIGKILL)
        sweep.waitUntilExit()
        // Within a few seconds (the children look once a second) both files are unlocked and interrupted.
        let deadline = Date().addingTimeInterval(60)
        while paths.contains(where: { RunFileLock.holder(of: $0) != nil }) && Date() < deadline { usleep(200_000) }
        for p in paths {
            #expect(RunFileLock.holder(of: p) == nil, "\(p) is still being written after its sweep was killed")
            let r = try RunReader(path: p)
            #expect(try r.status().status == .interrupted)
            try r.close()
        }
    }
}

extension SweepTests {
    /// `attnlab run NAME --manifest FILE --index I` is idempotent: a finished line is skipped, an
    /// interrupted one resumes from its checkpoint, a changed config or a bad index is refused,
    /// and a failure is recorded for `--status`.
    @Test func manifestLinesAreIdempotentAndFailuresAreRecorded() throws {
        let (cli, box) = try SweepCLI.inSandbox(experiment: "mf", kinds: ["mha", "mqa"])
        defer { box.remove() }
        let sets = ["--set", "train.steps=120", "--set", "log.checkpoint_every=20", "--set", "eval.every=60"]
        let manifest = box.root.appendingPathComponent("mf.tsv").path

        let (c0, o0) = try cli.run(["sweep", "mf", "--manifest", manifest] + sets)
        #expect(c0 == 0 && o0.contains("2 of 2 runs to do"), "\(o0)")
        let parsed = try RunManifest(contentsOf: manifest)
        #expect(parsed.experiment == "mf" && parsed.entries.map(\.run) == ["mha", "mqa"])
        #expect(parsed.overrides == ["train.steps=120", "log.checkpoint_every=20", "eval.every=60"])

        // The manifest carries the overrides: no --set needed to run a line.
        let (c1, o1) = try cli.run(["run", "mf", "--manifest", manifest, "--index", "0"])
        #expect(c1 == 0 && o1.contains("mf/mha: train") && o1.contains("finished"), "\(o1)")
        #expect(try RunReader(path: box.path("mf", "mha")).status() == (.finished, 120))
        let first = try mtime(box.path("mf", "mha"))
        let (c2, o2) = try cli.run(["run", "mf", "--manifest", manifest, "--index", "0"])
        #expect(c2 == 0 && o2.contains("skip (finished)"), "\(o2)")
        #expect(try mtime(box.path("mf", "mha")) == first)

        // Interrupt line 1 after some steps; running the line again resumes it.
        let at = try cli.interrupt(["run", "mf", "--manifest", manifest, "--index", "1"], afterSteps: 12, of: box.path("mf", "mqa"))
        #expect(at.code == 130 && at.status == .interrupted && at.step < 120)
        let (c3, o3) = try cli.run(["run", "mf", "--manifest", manifest, "--index", "1"])
        #expect(c3 == 0 && o3.contains("mf/mqa: resume from the checkpoint at step \(at.step)"), "\(o3)")
        #expect(try RunReader(path: box.path("mf", "mqa")).status() == (.finished, 120))

        // Everything done: a new manifest is empty.
        let (c4, o4) = try cli.run(["sweep", "mf", "--manifest", manifest] + sets)
        #expect(c4 == 0 && o4.contains("0 of 2 runs to do; left out: 2 finished"), "\(o4)")
        #expect(try RunManifest(contentsOf: manifest).entries.isEmpty)

        // A config that no longer matches the manifest's hash, and an index beyond it.
        let stale = box.root.appendingPathComponent("stale.tsv").path
        try RunManifest(experiment: "mf", overrides: parsed.overrides, entries: parsed.entries).write(to: stale)
        let (c5, o5) = try cli.run(["run", "mf", "--manifest", stale, "--index", "0", "--set", "train.steps=121"])
        #expect(c5 == 1 && o5.contains("changed since") && o5.contains("write a new manifest"), "\(o5)")
        let (c6, o6) = try cli.run(["run", "mf", "--manifest", stale, "--index", "2"])
        #expect(c6 == 1 && o6.contains("has 2 lines"), "\(o6)")
        // Threads are chosen where a line runs: another train.threads is the same run.
        let (c7, o7) = try cli.run(["run", "mf", "--manifest", stale, "--index", "0", "--set", "train.threads=1"])
        #expect(c7 == 0 && o7.contains("skip (finished)"), "\(o7)")

        // A run whose data file is missing fails before its HDF5 file exists; the failure record
        // makes --status show it as failed, and a later success removes the record.
        let missing = box.root.appendingPathComponent("later.txt").path
        let bad = sets + ["--set", "data.path=\(missing)"]
        let badManifest = box.root.appendingPathComponent("bad.tsv").path
        try box.experiment("mfbad", "", kinds: ["mha"])
        #expect(try cli.run(["sweep", "mfbad", "--manifest", badManifest] + bad).0 == 0)
        let (c8, o8) = try cli.run(["run", "mfbad", "--manifest", badManifest, "--index", "0"])
        #expect(c8 == 1 && o8.contains(missing), "\(o8)")
        #expect(!FileManager.default.fileExists(atPath: box.path("mfbad", "mha")))
        #expect(RunFailureRecord.read(runPath: box.path("mfbad", "mha"))?.reason.contains(missing) == true)
        let (c9, o9) = try cli.run(["sweep", "mfbad", "--status"] + bad)
        #expect(c9 == 0 && o9.contains("mfbad: 1 run: 1 failed") && o9.contains(missing), "\(o9)")
        try FileManager.default.copyItem(at: box.corpus, to: URL(fileURLWithPath: missing))
        let (c10, o10) = try cli.run(["run", "mfbad", "--manifest", badManifest, "--index", "0"])
        #expect(c10 == 0, "\(o10)")
        #expect(RunFailureRecord.read(runPath: box.path("mfbad", "mha")) == nil)
        let (_, o11) = try cli.run(["sweep", "mfbad", "--status"] + bad)
        #expect(o11.contains("mfbad: 1 run: 1 finished"), "\(o11)")
    }
}
