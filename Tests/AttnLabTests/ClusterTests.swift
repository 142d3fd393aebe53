import AttnLab
import Foundation
import Testing

/// The run manifest's text format and how it is made from a plan.
@Suite struct RunManifestTests {
    static let hashA = String(repeating: "a", count: 64), hashB = String(repeating: "0123456789abcdef", count: 4)

    @Test func textRoundTripsAndIsTheDocumentedFormat() throws {
        let m = RunManifest(experiment: "tiny", overrides: ["train.steps=60", "data.path=a b.txt"],
                            entries: [RunManifestEntry(index: 0, run: "mha", configHash: Self.hashA),
                                      RunManifestEntry(index: 1, run: "mla-seed2", configHash: Self.hashB)])
        #expect(m.text == """
            # attnlab run manifest 1
            # experiment: tiny
            # set: train.steps=60
            # set: data.path=a b.txt
            # index\trun\tconfig-sha256
            0\tmha\t\(Self.hashA)
            1\tmla-seed2\t\(Self.hashB)

            """)
        #expect(try RunManifest(text: m.text, source: "m") == m)
        let empty = RunManifest(experiment: "x", overrides: [], entries: [])
        #expect(try RunManifest(text: empty.text, source: "m") == empty)
    }

    @Test(arguments: [
        ("# attnlab run manifest 2\n# experiment: x\n", "m: not an attnlab run manifest"),
        ("# attnlab run manifest 1\n", "no \"# experiment: NAME\" line"),
        ("# attnlab run manifest 1\n# experiment: x\n1\tmha\t\(hashA)\n", "m:3: expected index 0"),
        ("# attnlab run manifest 1\n# experiment: x\n0\tmha\n", "m:3: expected index<TAB>run<TAB>config-sha256"),
        ("# attnlab run manifest 1\n# experiment: x\n0\tmha\t\(hashA.uppercased())\n", "m:3: bad config hash"),
        ("# attnlab run manifest 1\n# experiment: x\n0\tm/ha\t\(hashA)\n", "m:3: bad run name"),
        ("# attnlab run manifest 1\n# experiment: x\n0\tmha\t\(hashA)\n# set: a=1\n", "m:4: # set: lines must come before"),
        ("# attnlab run manifest 1\n# experiment: x\n# comment\n", "m:3: unknown comment line"),
    ])
    func badManifestsAreRefusedWithFileAndLine(text: String, message: String) {
        do {
            _ = try RunManifest(text: text, source: "m")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func hashIgnoresThreadsOnlyAndTheManifestHoldsWhatStillTrains() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("mp", kinds: ["mha", "gqa", "mqa", "mla"])
        let e = try box.load("mp")
        let base = e.runs[0].config
        #expect(RunManifest.configHash(base) == RunManifest.configHash(try box.load("mp", ["train.threads=3"]).runs[0].config))
        #expect(RunManifest.configHash(base) != RunManifest.configHash(try box.load("mp", ["train.steps=61"]).runs[0].config))
        #expect(RunManifest.configHash(base).count == 64)

        let plan = [SweepPlanEntry(run: "mha", path: "/r/mha.h5", action: .skip),
                    SweepPlanEntry(run: "gqa", path: "/r/gqa.h5", action: .resume(fromStep: 20, threads: 1)),
                    SweepPlanEntry(run: "mqa", path: "/r/mqa.h5", action: .diverged(step: 3)),
                    SweepPlanEntry(run: "mla", path: "/r/mla.h5", action: .train)]
        let m = try RunManifest(experiment: e, plan: plan, overrides: ["train.steps=60"])
        #expect(m.entries.map(\.run) == ["gqa", "mla"] && m.entries.map(\.index) == [0, 1])
        #expect(m.entries[1].configHash == RunManifest.configHash(e.runs[3].config))
        #expect(m.overrides == ["train.steps=60"])

        var conflicting = plan
        conflicting[0].action = .conflict("written by another config")
        #expect(throws: RunManifestError.self) { try RunManifest(experiment: e, plan: conflicting, overrides: []) }
        #expect(throws: RunManifestError.self) { try RunManifest(experiment: e, plan: plan, overrides: ["data.path=a\nb"]) }
    }
}

/// Job-array layout, option parsing and the generated sbatch script (also executed with bash).
@Suite struct SlurmScriptTests {
    @Test func packingAndArrayRanges() throws {
        let a = try #require(SlurmJobArray(runs: 5, pack: 2))
        #expect(a.taskCount == 3)
        #expect((0..<3).map { a.lines(ofTask: $0) } == [0..<2, 2..<4, 4..<5])
        #expect((0..<5).map { a.task(ofLine: $0) } == [0, 0, 1, 1, 2])
        #expect(a.arraySpec(limit: nil) == "0-2" && a.arraySpec(limit: 2) == "0-2%2")
        #expect(SlurmJobArray(runs: 1, pack: 4)?.arraySpec(limit: 8) == "0%8")
        #expect(SlurmJobArray(runs: 7, pack: 7)?.taskCount == 1 && SlurmJobArray(runs: 7, pack: 1)?.taskCount == 7)
        #expect(SlurmJobArray(runs: 0, pack: 1) == nil && SlurmJobArray(runs: 3, pack: 0) == nil)
    }

    @Test func timeAndMemoryOptionsParse() {
        #expect(SlurmTimeLimit("00:10:00")?.seconds == 600)
        #expect(SlurmTimeLimit("36:00:05")?.description == "36:00:05")
        #expect(SlurmTimeLimit("1-02:03:04")?.seconds == 93_784)
        for bad in ["", "10:00", "0:00:00", "1:60:00", "1:00:60", "1-24:00:00", "a:00:00", "1:0:00", "-1:00:00", "999-00:00:00", "1:00:00:00"] {
            #expect(SlurmTimeLimit(bad) == nil, "\(bad)")
        }
        #expect(SlurmMemory("2G")?.description == "2G" && SlurmMemory("500")?.description == "500M" && SlurmMemory("4t")?.description == "4T")
        for bad in ["", "0", "0G", "-1G", "1.5G", "2X", "G", "99999999999999G"] { #expect(SlurmMemory(bad) == nil, "\(bad)") }
        #expect(SlurmJobOptions.isValidPartition("debug,gpu-long") && !SlurmJobOptions.isValidPartition("a b") && !SlurmJobOptions.isValidPartition(""))
    }

    func script(runs: Int, pack: Int, limit: Int? = nil, setsThreads: Bool = false, exe: String = "/opt/attnlab/bin/attn'lab",
                dir: String = "/shared/results/tiny/slurm/3") throws -> String {
        try SlurmBatchScript(
            experiment: "tiny", executable: exe, manifestPath: dir + "/manifest.tsv",
            experimentsDirectory: "/home/me/lab/experiments", resultsDirectory: "/shared/results", dataDirectory: "/home/me/lab/data",
            workingDirectory: "/home/me/lab", logDirectory: dir, array: #require(SlurmJobArray(runs: runs, pack: pack)),
            options: SlurmJobOptions(partition: "short", time: SlurmTimeLimit("01:30:00"), cpusPerTask: 4, memory: SlurmMemory("2G"),
                                     pack: pack, arrayLimit: limit),
            overridesSetThreads: setsThreads).text()
    }

    @Test func scriptCarriesTheOptions() throws {
        let text = try script(runs: 10, pack: 3, limit: 2)
        for line in ["#!/bin/bash", "#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=short",
                     "#SBATCH --time=1:30:00", "#SBATCH --mem=2G", "#SBATCH --chdir=/home/me/lab",
                     "#SBATCH --output=/shared/results/tiny/slurm/3/task-%a.log", "attnlab='/opt/attnlab/bin/attn'\\''lab'",
                     "pack=3", "runs=10", "threads=\"${SLURM_CPUS_PER_TASK:-1}\"", "export OPENBLAS_NUM_THREADS=\"$threads\""] {
            #expect(text.split(separator: "\n").contains { $0 == line }, "missing \(line) in\n\(text)")
        }
        #expect(text.contains("--set \"train.threads=$threads\""))
        #expect(!(try script(runs: 2, pack: 1, setsThreads: true)).contains("train.threads"))
        let plain = try SlurmBatchScript(
            experiment: "x", executable: "/a", manifestPath: "/m", experimentsDirectory: "/e", resultsDirectory: "/r", dataDirectory: "/d",
            workingDirectory: "/w", logDirectory: "/l", array: #require(SlurmJobArray(runs: 1, pack: 1)), options: SlurmJobOptions()).text()
        #expect(!plain.contains("--partition") && !plain.contains("--time") && !plain.contains("--mem") && plain.contains("--array=0\n"))
        #expect(throws: RunManifestError.self) { try script(runs: 2, pack: 1, dir: "/shared/my results") }
        #expect(throws: RunManifestError.self) { try script(runs: 2, pack: 1, dir: "/shared/100%") }
        #expect(throws: RunManifestError.self) { try script(runs: 2, pack: 1, exe: "/bin/a\nb") }
    }

    /// Runs the script with bash as Slurm would for one array task, with a fake attnlab that
    /// records its arguments and fails on one line: each task runs exactly its lines, with the
    /// task's thread count, goes on after a failure and exits non-zero.
    @Test(arguments: [(0, [0, 1, 2]), (1, [3, 4, 5]), (3, [9])])
    func eachTaskRunsItsLines(task: Int, expected: [Int]) throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let calls = box.root.appendingPathComponent("calls.txt").path
        let fake = box.root.appendingPathComponent("fake-attnlab").path
        try "#!/bin/bash\necho \"$*\" >> \(shellQuoted(calls))\n[[ \"$6\" == 4 ]] && exit 1\nexit 0\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let path = box.root.appendingPathComponent("job.sbatch").path
        try script(runs: 10, pack: 3, exe: fake, dir: box.root.path).write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [path]
        p.environment = ["SLURM_ARRAY_TASK_ID": String(task), "SLURM_ARRAY_JOB_ID": "77", "SLURM_CPUS_PER_TASK": "3", "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == (expected.contains(4) ? 1 : 0))
        let lines = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == expected.map {
            "run tiny --manifest \(box.root.path)/manifest.tsv --index \($0) --experiments /home/me/lab/experiments --results /shared/results --data-dir /home/me/lab/data --set train.threads=3"
        })
    }
}

/// `--status`: each run's state from its file, failure record and Slurm task.
@Suite struct SweepStatusTests {
    static func facts(_ s: RunStatus, step: Int = 30, ckpt: Int? = 20, matches: Bool = true, writer: String? = nil, why: String? = nil) -> SweepFileState {
        .present(SweepFileFacts(status: s, step: step, checkpointStep: ckpt, configMatches: matches, writer: writer, noCheckpointReason: why))
    }
    static let failure = RunFailureRecord(runPath: "/r/x.h5", reason: "data file missing")
    static func task(_ state: String) -> SlurmTaskState { SlurmTaskState(jobID: "12", task: 3, state: state, detail: "") }

    @Test(arguments: [
        (facts(.finished), nil, task("FAILED"), SweepRunState.finished, "step 30"),
        (facts(.running, writer: "pid 9 on n1"), failure, nil, .running, "pid 9 on n1"),
        (facts(.interrupted), nil, nil, .interrupted, "resumes from step 20"),
        (facts(.running, ckpt: nil), nil, nil, .interrupted, "killed at step 30, no checkpoint: restarts"),
        (facts(.running, ckpt: nil, why: "its checkpoint file x.h5.checkpoint is gone"), nil, nil, .interrupted,
         "killed at step 30, no usable checkpoint (its checkpoint file x.h5.checkpoint is gone): restarts"),
        (facts(.interrupted), nil, task("TIMEOUT"), .interrupted, "slurm task 12_3 TIMEOUT"),
        (facts(.running), nil, task("FAILED"), .failed, "slurm task 12_3 FAILED"),
        (facts(.running), failure, nil, .failed, "data file missing"),
        (facts(.diverged, step: 17), nil, nil, .diverged, "at step 17"),
        (facts(.finished, matches: false), nil, nil, .failed, "different configuration"),
        (SweepFileState.unreadable(reason: "not HDF5", writer: nil), nil, nil, .failed, "unreadable"),
        (SweepFileState.unreadable(reason: "not HDF5", writer: "pid 3 on n2"), nil, nil, .running, "pid 3 on n2"),
        (SweepFileState.missing, nil, nil, .missing, "not started"),
        (SweepFileState.missing, nil, task("PENDING"), .missing, "queued"),
        (SweepFileState.missing, nil, task("RUNNING"), .missing, "waiting in its task"),
        (SweepFileState.missing, failure, nil, .failed, "data file missing"),
        (SweepFileState.missing, failure, task("PENDING"), .failed, "resubmitted"),
        (SweepFileState.missing, nil, task("OUT_OF_MEMORY"), .failed, "OUT_OF_MEMORY"),
        (SweepFileState.missing, nil, task("COMPLETED"), .failed, "without writing the run file"),
    ] as [(SweepFileState, RunFailureRecord?, SlurmTaskState?, SweepRunState, String)])
    func classification(file: SweepFileState, failure: RunFailureRecord?, task: SlurmTaskState?, state: SweepRunState, detail: String) {
        let s = classifySweepRun("x", file: file, failure: failure, task: task)
        #expect(s.state == state && s.detail.contains(detail), "\(s)")
    }

    @Test func squeueAndSacctLinesParse() {
        let text = """
            12_3|PENDING|JobArrayTaskLimit
            12_4|RUNNING|None
            12_[5-9%2]|PENDING|JobArrayTaskLimit
            12_2|CANCELLED by 0|0:15
            12_2.batch|CANCELLED|0:15
            13|COMPLETED|0:0
            garbage
            """
        #expect(SlurmTaskState.parse(text) == [
            SlurmTaskState(jobID: "12", task: 3, state: "PENDING", detail: "JobArrayTaskLimit"),
            SlurmTaskState(jobID: "12", task: 4, state: "RUNNING", detail: "None"),
            SlurmTaskState(jobID: "12", task: 2, state: "CANCELLED", detail: "0:15"),
        ])
        #expect(SlurmTaskState(jobID: "1", task: 0, state: "PENDING").isActive && SlurmTaskState(jobID: "1", task: 0, state: "TIMEOUT").isFailure)
    }

    @Test func reportCountsAndAlignsRuns() {
        let r = SweepStatusReport(experiment: "e", runs: [
            SweepRunStatus(run: "mha", state: .finished, detail: "step 40"),
            SweepRunStatus(run: "mla-long", state: .failed, detail: "boom"),
            SweepRunStatus(run: "gqa", state: .finished, detail: "step 40"),
        ], notes: ["squeue not found"])
        #expect(r.text == """
            e: 3 runs: 2 finished, 1 failed
              mha       finished    step 40
              mla-long  failed      boom
              gqa       finished    step 40
            note: squeue not found

            """)
    }
}
