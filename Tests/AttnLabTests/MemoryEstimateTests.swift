import AttnLab
import Foundation
import Testing

/// The memory check before training: honest against a real run, and refusing what cannot fit
/// before any file exists.
@Suite(.serialized) struct MemoryEstimateTests {
    /// A model that validates but needs terabytes: 256 layers of width 16384.
    static let huge = ["model.d_model=16384", "model.mlp_hidden=16384", "model.n_layers=256"]

    @Test(arguments: ["mha", "gqa", "mla", "gta", "gla"])
    func activationEstimateIsConservativeAndCloseToTheMeasuredBytes(kind: String) throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("m", kinds: [kind])
        let experiment = try box.load("m", [
            "train.steps=2", "schedule.warmup_steps=1", "eval.every=2", "eval.windows=1", "train.batch_size=4",
            "data.seq_len=128", "model.max_seq_len=128", "model.d_model=64", "model.mlp_hidden=160",
        ])
        let outcome = try #require(try runExperiment(experiment, resultsDirectory: box.results, quiet: true).first)
        #expect(outcome.status == .finished)
        let reader = try RunReader(path: outcome.path)
        let measured = try #require(try reader.trainColumn("activation_bytes").max())
        try reader.close()
        let estimate = MemoryEstimate(experiment.runs[0].config)
        let ratio = estimate.activationBytes / measured
        #expect(ratio >= 1 && ratio <= 2, "estimate \(estimate.activationBytes) vs measured \(measured) bytes")
        #expect(estimate.stateBytes == 16 * Double(experiment.runs[0].config.model.parameterCount))
    }

    @Test func runThatCannotFitIsRefusedBeforeAnyFileIsCreated() throws {
        let box = try TrainingSandbox()
        defer { box.remove() }
        try box.experiment("big", kinds: ["mha", "mla"])
        let experiment = try box.load("big", Self.huge)
        #expect(MemoryEstimate(experiment.runs[0].config).totalBytes > 1e12)
        do {
            _ = try runExperiment(experiment, resultsDirectory: box.results, quiet: true)
            Issue.record("a run needing terabytes was not refused")
        } catch let error as MemoryEstimateError {
            let text = error.description
            for part in ["big/mha", "big.toml", "needs an estimated", "GiB", "of memory is available",
                         "train.batch_size", "data.seq_len", "model.d_model"] {
                #expect(text.contains(part), "\(text)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: box.results.path))
    }

    @Test func runThatFitsPassesAndTheLimitIsTheAvailableMemory() throws {
        let estimate = MemoryEstimate(ExperimentConfig())
        #expect(estimate.totalBytes > 0 && estimate.dataBytes == 0)
        try estimate.requireFits(keys: "k", availableBytes: estimate.totalBytes * 1.01)
        #expect(throws: MemoryEstimateError.self) { try estimate.requireFits(keys: "k", availableBytes: estimate.totalBytes * 0.99) }
        let available = try #require(MemoryEstimate.availableMemoryBytes())
        #expect(available > estimate.totalBytes, "the default config fits on any machine that builds AttnLab")
    }

    @Test func mqarExamplesCount() {
        var config = ExperimentConfig()
        config.data.source = .mqar
        let estimate = MemoryEstimate(config)
        let m = config.data.mqar
        #expect(estimate.dataBytes == Double(8 * (m.trainExamples + m.valExamples) * m.seqLen))
        #expect(estimate.summary.contains("MQAR data"))
    }

    @Test func absurdSizesSaturateInsteadOfTrapping() {
        var config = ModelConfig()
        config.dModel = 4_611_686_018_427_387_904
        config.nLayers = 1 << 40
        #expect(config.parameterCount == Int.max)
        #expect(config.trainingFLOPsPerToken(context: Int.max) == Int.max)
        #expect(config.kvElementsPerToken > 0)
        #expect(MemoryEstimate(model: config, batchSize: Int.max, seqLen: Int.max).totalBytes.isFinite)
    }
}
