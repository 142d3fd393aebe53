import ArgumentParser
import AttnLab
import Foundation

/// `attnlab bench`: training throughput of each attention variant on the reference model of
/// the facts file (section 7), with nanoGPT's MFU estimate against the measured sgemm peak.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training tokens/s (forward + backward + AdamW) per attention variant.",
        discussion: """
            Defaults are the reference model used for the PyTorch anchors: byte vocabulary, \
            d_model 256, 4 layers, 8 heads of 32, SwiGLU 683, T 256, B 16, fp32. MLA uses \
            q_lora_rank 128, kv_lora_rank 64, d_nope 32, d_rope 16, d_v 32; GQA 2 KV heads. \
            Always run it from a release build.
            """)

    @Option(help: "Comma-separated variants to time (mha,gqa,mqa,mla).") var kinds = AttentionKindList(AttentionKind.allCases)
    @Option(help: "Timed steps per variant (after 2 warm-up steps).") var steps = 5
    @Option(help: "Batch size.") var batch = 16
    @Option(help: "Sequence length.") var seqLen = 256
    @Option(help: "Model width.") var dModel = 256
    @Option(help: "Layers.") var layers = 4
    @Option(help: "Query heads.") var heads = 8

    func validate() throws {
        try checkOption("--steps", steps, in: 1...100_000)
        let dimensions = 1...ModelConfig.dimensionLimit
        for (option, value) in [("--batch", batch), ("--seq-len", seqLen), ("--d-model", dModel), ("--layers", layers), ("--heads", heads)] {
            try checkOption(option, value, in: dimensions)
        }
        for kind in kinds.kinds {
            do { try config(kind).validate() } catch {
                throw ValidationError("--d-model \(dModel), --heads \(heads), --layers \(layers), --seq-len \(seqLen) do not give a valid \(kind.rawValue) model: \(error)")
            }
        }
    }

    /// The reference model with the options applied.
    private func config(_ kind: AttentionKind) -> ModelConfig {
        var config = ModelConfig()
        config.dModel = dModel; config.nLayers = layers; config.maxSeqLen = seqLen
        config.mlpHidden = 683 * dModel / 256
        config.attention.nHeads = heads
        config.attention.kind = kind
        return config
    }

    func run() throws {
        for kind in kinds.kinds {
            try MemoryEstimate(model: config(kind), batchSize: batch, seqLen: seqLen).requireFits(keys: "--batch, --seq-len, --d-model, --layers")
        }
        let peak = try measureSgemmThroughput(size: 1024, warmups: 3, repetitions: 10).bestGFLOPS
        print("BLAS core \(openBLASCoreName()), sgemm peak \(String(format: "%.1f", peak)) GFLOP/s, \(Parallel.workers) workers")
        print("variant  params      tokens/s   step s (median)   MFU")
        for kind in kinds.kinds {
            let config = config(kind)
            let r = measureTrainingThroughput(config: config, batch: batch, seqLen: seqLen, steps: steps)
            let median = AttnLab.median(r.stepSeconds) ?? 0
            let mfu = Double(config.trainingFLOPsPerToken(context: seqLen)) * r.tokensPerSecond / (peak * 1e9)
            print(String(format: "%-8@ %-11d %-10.0f %-17.3f %.1f%%", kind.rawValue, r.parameterCount, r.tokensPerSecond, median, mfu * 100))
        }
    }
}
