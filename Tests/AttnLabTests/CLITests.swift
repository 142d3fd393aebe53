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

    @Test(arguments: [["frobnicate"], [], ["run"], ["kv", "--preset"], ["inspect"]])
    func badCallsPrintUsageAndFail(args: [String]) throws {
        let r = try attnlab(args)
        #expect(r.status != 0)
        #expect((r.out + r.err).contains("Usage") || (r.out + r.err).contains("USAGE"))
    }

    @Test func kvPresetPrintsThePaperFigure() throws {
        let r = try attnlab(["kv", "--preset", "dsv2-small-mla"])
        #expect(r.status == 0)
        #expect(r.out.contains("15,552"))
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
