import AttnLab
import Foundation
import Testing

/// `attnlab bench` and `attnlab bench decode` at tiny shapes: rows name what they timed, the
/// phase split accounts for the step, KV bytes follow the model's formula, and profiling does
/// not change what a step computes.
@Suite(.serialized) struct BenchmarkTests {
    @Test func experimentBenchTimesOneRowPerVariantAtItsShape() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("speed", "[grid]\n\"train.seed\" = [1, 2]", kinds: ["mha", "mla", "gla"])
        let runs = try box.load("speed").runs
        let report = try benchmarkTraining(.experiment(name: "speed", directory: box.experiments, run: nil), steps: 2, warmup: 1)
        // The seeds of a variant share one shape: the first run of each variant stands for them.
        let firstOfEach = ["mha", "mla", "gla"].map { kind in runs.first { $0.variant == kind }!.name }
        #expect(report.rows.map(\.run) == firstOfEach)
        #expect(report.rows.map(\.attention) == ["mha", "mla", "gla"])
        for r in report.rows {
            #expect(r.batchSize == 8 && r.seqLen == 32 && r.gradAccum == 1 && r.tokensPerStep == 256)
            #expect(r.stepMs.count == 2 && r.stepMs.allSatisfy { $0 > 0 })
            #expect(r.tokensPerSecond > 0 && r.mfu > 0 && r.sgemmPeakGFLOPS > 0 && r.activationBytes > 0)
            #expect(r.threads == ProcessInfo.processInfo.activeProcessorCount)
            let config = runs.first { $0.name == r.run }!.config
            #expect(r.parameters == config.model.parameterCount)
            #expect(r.trainingFlopsPerToken == config.model.trainingFLOPsPerToken(context: 32))
            let mfu = Double(r.trainingFlopsPerToken) * r.tokensPerSecond / (r.sgemmPeakGFLOPS * 1e9)
            #expect(abs(r.mfu - mfu) <= 1e-12 * mfu)
        }
        #expect(report.table.contains("| \(firstOfEach[0]) | mha |"))
    }

    /// Every phase is measured on its own (op families by the tape, the optimizer around its
    /// calls); what is left (graph resets, loop glue) must stay within 10% of the step plus
    /// 0.5 ms of clock granularity and scheduling at these tiny shapes.
    @Test func phaseSplitAddsUpToTheProfiledStep() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("split", "[grid]\n\"train.grad_accum\" = [1, 2]", kinds: ["gqa"])
        let report = try benchmarkTraining(.experiment(name: "split", directory: box.experiments, run: nil), steps: 3, warmup: 1)
        #expect(report.rows.map(\.gradAccum) == [1, 2])
        #expect(report.rows.map(\.tokensPerStep) == [256, 512])
        for r in report.rows {
            #expect(Set(r.phaseMs.keys) == Set(TrainingBenchmarkReport.phases))
            for phase in TrainingBenchmarkReport.phases { #expect(r.phaseMs[phase]! > 0, "\(phase)") }
            let sum = r.phaseMs.values.reduce(0, +)
            #expect(abs(r.profiledStepMs - sum - r.unattributedMs) < 1e-9)
            #expect(abs(r.unattributedMs) <= 0.1 * r.profiledStepMs + 0.5, "\(r.phaseMs) vs \(r.profiledStepMs) ms")
            let matmulGFLOPS = Double(r.modelConfig.trainingMatmulFLOPsPerToken * r.tokensPerStep) / r.phaseMs["matmul"]! * 1e-6
            #expect(r.matmulGFLOPS > 0 && abs(r.matmulGFLOPS - matmulGFLOPS) <= 1e-9 * matmulGFLOPS)
        }
    }

    /// An unwritable --json is refused before anything is timed (a benchmark can run for hours),
    /// by both benchmarks, for a missing folder, a folder path and a read-only folder.
    @Test func unwritableJSONIsRefusedBeforeTiming() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("out", kinds: ["mha"])
        let readOnly = box.root.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: readOnly.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: readOnly.path) }
        var paths = [box.root.appendingPathComponent("no/such/x.json").path, box.root.path]
        // root ignores permissions; the read-only case is meaningful only for other users.
        if getuid() != 0 { paths.append(readOnly.appendingPathComponent("x.json").path) }
        for path in paths {
            var timed = false
            #expect(throws: BenchmarkOutputError.self) {
                _ = try benchmarkTraining(.experiment(name: "out", directory: box.experiments, run: nil), steps: 1, warmup: 0,
                                          json: path, progress: { _ in timed = true })
            }
            #expect(!timed, "\(path): timing started before the output was checked")
            #expect(throws: BenchmarkOutputError.self) {
                _ = try benchmarkDecoding(contexts: [4], batches: [1], decodeSteps: 1, json: path, progress: { _ in timed = true })
            }
            #expect(!timed, "\(path): decoding started before the output was checked")
        }
    }

    @Test func runOptionSelectsOneRunAndNamesTheOthersWhenUnknown() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("one", kinds: ["mha", "gta"])
        let report = try benchmarkTraining(.experiment(name: "one", directory: box.experiments, run: "gta"), steps: 1, warmup: 0)
        #expect(report.rows.map(\.run) == ["gta"])
        do {
            _ = try benchmarkTraining(.experiment(name: "one", directory: box.experiments, run: "mla"), steps: 1)
            Issue.record("an unknown run was accepted")
        } catch let error as TrainingBenchmarkError {
            #expect(error.description.contains("mla") && error.description.contains("mha, gta"))
        }
    }

    @Test func jsonHoldsTheRowsAndTheEnvironment() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        let path = box.root.appendingPathComponent("bench.json").path
        let report = try benchmarkTraining(.reference(kinds: [.mqa], batch: 2, seqLen: 16, dModel: 32, layers: 1, heads: 4),
                                           steps: 1, warmup: 0, json: path)
        let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let environment = try #require(object["environment"] as? [String: Any])
        #expect(environment["host"] as? String == ProcessInfo.processInfo.hostName)
        #expect(environment["blas_core"] as? String == openBLASCoreName())
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["run"] as? String == "mqa" && rows[0]["threads"] as? Int == report.rows[0].threads)
        let stored = try #require(rows[0]["tokens_per_second"] as? Double), measured = report.rows[0].tokensPerSecond
        #expect(abs(stored - measured) <= 1e-12 * measured)  // JSON's decimal text, read back
        #expect(throws: BenchmarkOutputError.self) {
            try benchmarkTraining(.reference(kinds: [.mqa], batch: 2, seqLen: 16, dModel: 32, layers: 1, heads: 4),
                                  steps: 1, warmup: 0, json: box.root.appendingPathComponent("no/such/dir.json").path)
        }
    }

    /// Profiling wraps the tape's closures and times them; it must not change a single gradient.
    @Test(arguments: [AttentionKind.mha, .mla, .gla])
    func profilingLeavesGradientsBitIdentical(kind: AttentionKind) throws {
        var config = ModelConfig()
        config.dModel = 32; config.nLayers = 2; config.mlpHidden = 64; config.maxSeqLen = 16
        config.attention.kind = kind; config.attention.nHeads = 4
        config.attention.kvLoraRank = 16; config.attention.qLoraRank = 16
        config.attention.qkNopeHeadDim = 8; config.attention.qkRopeHeadDim = 4; config.attention.vHeadDim = 8
        config.attention.nLatentHeads = 2
        try config.validate()
        func gradients(profiled: Bool) -> [[Float]] {
            let model = DecoderLM<Float>(config, seed: 3)
            let g = Graph<Float>()
            let profile = OpProfile()
            if profiled { g.profile = profile; profile.startForward() }
            let ids = (0..<32).map { Int32($0 * 7 % 256) }, targets = (0..<32).map { Int32($0 * 11 % 256) }
            g.backward(model.loss(g, ids: ids, targets: targets, batch: 2))
            if profiled {
                for family in OpFamily.allCases { #expect(profile.seconds[family, default: 0] > 0, "\(family)") }
                #expect(profile.backwardSeconds.values.reduce(0, +) < profile.totalSeconds)
            }
            return model.parameters.map { p in (0..<p.count).map { p.grad!.pointer[$0] } }
        }
        #expect(gradients(profiled: true) == gradients(profiled: false))
    }

    @Test func decodeBenchKVBytesFollowTheModelFormula() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("decode", "[grid]\n\"train.seed\" = [1, 2]", kinds: ["mha", "gqa", "mla", "gta", "gla"])
        let contexts = [5, 40], batches = [1, 3]
        // A prefill chunk of 16 fills the 40-token context in three calls.
        let report = try benchmarkDecoding(experiment: ("decode", box.experiments), contexts: contexts, batches: batches,
                                           decodeSteps: 2, prefillChunk: 16)
        let models = try box.load("decode").runs.reduce(into: [String: ModelConfig]()) { $0[$1.name] = $1.config.model }
        // mha, gqa, gta: one path; mla, gla: naive and absorbed.
        #expect(report.rows.count == (3 + 2 * 2) * contexts.count * batches.count)
        #expect(Set(report.rows.filter { $0.latentDecode != nil }.map(\.attention)) == ["mla", "gla"])
        #expect(report.rows.filter { $0.attention == "mla" }.map(\.latentDecode) == Array(repeating: "naive", count: 4) + Array(repeating: "absorbed", count: 4))
        for r in report.rows {
            let config = try #require(models[r.model])
            #expect(r.kvBytesPerSequence == config.kvElementsPerToken * r.context * MemoryLayout<Float>.stride, "\(r.model) at \(r.context)")
            #expect(r.msPerStep > 0 && r.tokensPerSecond > 0)
        }
        // 40 tokens plus the decode steps exceed the experiment's max_seq_len 32: raised, not refused.
        #expect(report.rows.contains { $0.context == 40 })
        let mla = try #require(report.rows.first { $0.attention == "mla" }).model
        #expect(mla.hasPrefix("mla") && report.table.contains("| \(mla) | mla | absorbed | 3 | 40 |"))
    }
}
