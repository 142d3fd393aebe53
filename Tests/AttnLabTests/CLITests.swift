import AttnLab
import Foundation
import Testing

/// The command line as users meet it: bad calls print usage and fail; config errors name the
/// file and key and leave nothing behind.
@Suite struct CLITests {
    func attnlab(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let exe = try #require(attnlabExecutable(), "attnlab executable not found beside the tests")
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let (out, err) = (Pipe(), Pipe())
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test(arguments: [["frobnicate"], [], ["run"], ["kv", "--preset"], ["inspect"], ["verdict"]])
    func badCallsPrintUsageAndFail(args: [String]) throws {
        let r = try attnlab(args)
        #expect(r.status != 0)
        #expect((r.out + r.err).contains("Usage") || (r.out + r.err).contains("USAGE"))
    }

    /// Contradicting options are a usage error (exit 64) that says why, before any file is read.
    @Test func resumeWithOverwriteIsAUsageError() throws {
        let r = try attnlab(["run", "tiny", "--resume", "/nonexistent/mha.h5", "--overwrite"])
        #expect(r.status == 64)
        #expect(r.err.contains("--resume continues the run in its file and --overwrite replaces it: give one of them"), "\(r.err)")
    }

    @Test func kvPresetPrintsThePaperFigure() throws {
        let r = try attnlab(["kv", "--preset", "dsv2-small-mla"])
        #expect(r.status == 0)
        #expect(r.out.contains("15,552"))
    }

    @Test func unknownVerdictFileIsNamedWithTheAvailableOnes() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("experiments")
        let results = FileManager.default.temporaryDirectory.appendingPathComponent("attnlab-verdict-cli-\(UUID().uuidString)")
        let r = try attnlab(["verdict", "nope", "--experiments", shipped.path, "--results", results.path])
        #expect(r.status != 0)
        #expect(r.err.contains("verdicts/nope.toml: no such verdict file; available: deepseek-v2"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }

    @Test func badConfigNamesFileAndKeyAndWritesNothing() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("bad", kinds: ["mha"])
        let r = try attnlab(["run", "bad", "--set", "model.attention.n_kv_heads=3", "--set", "model.attention.kind=gqa",
                             "--experiments", box.experiments.path, "--results", box.results.path])
        #expect(r.status != 0)
        #expect(r.err.contains("bad.toml") && r.err.contains("model.attention.n_kv_heads"))
        #expect(!FileManager.default.fileExists(atPath: box.results.path))
    }
}

/// Every numeric (and enum) option is range-checked before the command runs: a usage error
/// (exit code 64) naming the option, never a trap.
@Suite struct CLIOptionRangeTests {
    static let bad: [[String]] = [
        ["generate", "--checkpoint", "X", "--prompt", "hi", "--top-k=-1"],
        ["generate", "--checkpoint", "X", "--prompt", "hi", "--temperature", "nan"],
        ["generate", "--checkpoint", "X", "--prompt", "hi", "--temperature", "inf"],
        ["generate", "--checkpoint", "X", "--prompt", "hi", "--temperature=-0.5"],
        ["generate", "--checkpoint", "X", "--prompt", "hi", "--max-new-tokens", "0"],
        ["generate", "--checkpoint", "X", "--prompt", "hi", "--mla-mode", "fast"],
        ["eval", "X", "--tokens=-1"],
        ["eval", "X", "--split", "test"],
        ["sweep", "x", "--jobs", "0"],
        ["sweep", "x", "--jobs", "4611686018427387904"],
        ["tune", "x", "--jobs", "0"],
        ["tune", "x", "--jobs", "2000"],
        ["env", "--gemm-size", "0"],
        ["env", "--gemm-size", "4611686018427387904"],
        ["env", "--repetitions", "0"],
        ["bench", "--steps", "0"],
        ["bench", "--batch", "0"],
        ["bench", "--seq-len", "4611686018427387904"],
        ["bench", "--d-model", "4611686018427387904"],
        ["bench", "--layers=-3"],
        ["bench", "--heads", "3"],
        ["bench", "--kinds", "mha,mlx"],
        ["bench", "--experiment", "x", "--steps", "100001"],
        ["bench", "--run", "mha"],
        ["bench", "--experiment", "x", "--batch", "4"],
        ["bench", "--experiment", "x", "--kinds", "mha"],
        ["bench", "decode", "--contexts", "128,0"],
        ["bench", "decode", "--contexts", "65537"],
        ["bench", "decode", "--contexts", "128,x"],
        ["bench", "decode", "--batch", "0"],
        ["bench", "decode", "--batch", "1,2000"],
        ["bench", "decode", "--steps", "0"],
        ["kv", "--kind", "mha", "--heads", "8", "--layers", "4611686018427387904"],
        ["kv", "--kind", "gqa", "--layers", "2", "--heads", "4", "--kv-heads", "0"],
        ["kv", "--kind", "mla", "--layers", "2", "--heads", "4", "--rope-dim=-2"],
        ["kv", "--kind", "mha", "--layers", "2", "--heads", "1048576", "--head-dim", "1048576"],
        ["kv", "--layers", "2", "--heads", "4", "--kind", "mlx"],
        ["data", "info", "--val-fraction", "0.7"],
        ["data", "info", "--val-fraction", "nan"],
        ["sweep", "x", "--slurm", "--pack", "0"],
        ["sweep", "x", "--slurm", "--array-limit", "0"],
        ["sweep", "x", "--slurm", "--cpus-per-task", "4611686018427387904"],
        ["sweep", "x", "--slurm", "--time", "1:61:00"],
        ["sweep", "x", "--slurm", "--mem", "0G"],
        ["sweep", "x", "--slurm", "--partition", "a b"],
        ["sweep", "x", "--pack", "2"],
        ["sweep", "x", "--status", "--submit"],
        ["sweep", "x", "--status", "--manifest", "m", "--slurm"],
        ["sweep", "x", "--jobs", "2", "--status"],
        ["run", "x", "--manifest", "m", "--index=-1"],
        ["run", "x", "--index", "0"],
        ["run", "x", "--manifest", "m", "--index", "0", "--overwrite"],
        ["export", "X", "--out", "d", "--format", "onnx"],
        ["export", "X", "--format", "hf", "--out", ""],
        ["eval", "X", "--dump-logits", "f.json"],
        ["eval", "X", "--text", "hi"],
        ["eval", "X", "--cached"],
        ["eval", "X", "--dump-logits", "f.json", "--text", ""],
        ["eval", "X", "--dump-logits", "f.json", "--text", "hi", "--latent-decode", "naive"],
        ["generate", "--checkpoint", "X.h5", "--prompt", ""],
    ]

    /// The last option of each call is the bad one.
    @Test(arguments: bad)
    func outOfRangeOptionIsAUsageError(args: [String]) throws {
        let r = try CLITests().attnlab(args)
        #expect(r.status == 64, "\(args): exit \(r.status)\n\(r.err)")
        let option = try #require(args.last { $0.hasPrefix("--") }).split(separator: "=")[0]
        #expect(r.err.contains(option), "\(r.err)")
    }

    /// Every numeric option takes a negative number as its value (ArgumentParser would otherwise
    /// read `-1` as an option and report a missing value) and refuses it naming the option.
    static let negative: [[String]] = [
        ["sweep", "x", "--jobs", "-1"], ["sweep", "x", "--slurm", "--cpus-per-task", "-1"],
        ["sweep", "x", "--slurm", "--pack", "-1"], ["sweep", "x", "--slurm", "--array-limit", "-1"],
        ["tune", "x", "--jobs", "-1"], ["data", "info", "--val-fraction", "-0.1"],
        ["env", "--gemm-size", "-1"], ["env", "--repetitions", "-1"],
        ["generate", "--checkpoint", "X.h5", "--prompt", "hi", "--max-new-tokens", "-1"],
        ["generate", "--checkpoint", "X.h5", "--prompt", "hi", "--temperature", "-1"],
        ["generate", "--checkpoint", "X.h5", "--prompt", "hi", "--top-k", "-1"],
        ["generate", "--checkpoint", "X.h5", "--prompt", "hi", "--seed", "-1"],
        ["eval", "X", "--tokens", "-1"], ["run", "x", "--manifest", "m", "--index", "-1"],
        ["bench", "train", "--steps", "-1"], ["bench", "train", "--batch", "-1"], ["bench", "train", "--seq-len", "-1"],
        ["bench", "train", "--d-model", "-1"], ["bench", "train", "--layers", "-1"], ["bench", "train", "--heads", "-1"],
        ["kv", "--kind", "mha", "--heads", "4", "--layers", "-1"], ["kv", "--kind", "mha", "--layers", "2", "--heads", "-1"],
        ["kv", "--kind", "gqa", "--layers", "2", "--heads", "4", "--kv-heads", "-1"],
        ["kv", "--kind", "mha", "--layers", "2", "--heads", "4", "--head-dim", "-1"],
        ["kv", "--kind", "mla", "--layers", "2", "--heads", "4", "--kv-lora-rank", "-1"],
        ["kv", "--kind", "mla", "--layers", "2", "--heads", "4", "--rope-dim", "-2"],
        ["kv", "--kind", "gla", "--layers", "2", "--heads", "4", "--latent-heads", "-1"],
        ["bench", "decode", "--contexts", "-1"], ["bench", "decode", "--batch", "-1"], ["bench", "decode", "--steps", "-1"],
    ]

    @Test(arguments: negative)
    func aNegativeNumberIsReadAsTheOptionsValue(args: [String]) throws {
        let r = try CLITests().attnlab(args)
        let option = args[args.count - 2]
        #expect(r.status == 64, "\(args): exit \(r.status)\n\(r.err)")
        #expect(r.err.contains(option) && r.err.contains(args.last!), "\(r.err)")
        #expect(!r.err.contains("Missing value"), "\(r.err)")
    }

    @Test func showPrintsTheMemoryEstimateAndRunRefusesWhatCannotFit() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("big", kinds: ["mha"])
        let show = try CLITests().attnlab(["show", "big", "--experiments", box.experiments.path])
        #expect(show.status == 0 && show.out.contains("# memory estimate: ") && show.out.contains("GiB (weights"))
        let r = try CLITests().attnlab(["run", "big", "--experiments", box.experiments.path, "--results", box.results.path]
            + MemoryEstimateTests.huge.flatMap { ["--set", $0] })
        #expect(r.status == 1)
        #expect(r.err.contains("needs an estimated") && r.err.contains("of memory is available") && r.err.contains("train.batch_size"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: box.results.path))
    }
}
