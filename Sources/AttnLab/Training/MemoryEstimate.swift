import Foundation

/// The memory a training run needs, estimated from its shapes before anything is allocated, so a
/// run that cannot fit is refused before it creates a file instead of being killed mid-run.
///
/// All figures are bytes of float32 (4 bytes per element), computed in `Double` so no
/// dimensions can overflow. With B = `train.batch_size`, T = the sequence length, L layers,
/// d = `d_model`, h = `mlp_hidden`, V = `vocab_size`, H query heads and P parameters:
///
/// - state = 16 P: weights, gradients and AdamW's two moments;
/// - activations = 4 B T [2 (L a + 2d) + L H T + 3V], where `a` is the floats one layer keeps per
///   token (4d for the two norms and residual sums, 2d for the attention and MLP outputs, 4h for
///   SwiGLU's gate, up, activation and product, 3 per element of the query, key and value
///   projections (projection, RoPE, head-major copy), 2 per element of the attention output,
///   and for MLA twice the query and KV latents). The factor 2 counts each activation's
///   gradient, `L H T` the attention probabilities kept for the backward pass (B H T x T per
///   layer) and `3V` the logits, their gradient and the softmax probabilities. Gradient
///   accumulation runs micro-batches one after another, so it does not multiply activations;
/// - evaluation = 4 C T [L a + 2d + L H T + V] for chunks of C = `evaluationChunkWindows(T, V)`
///   windows run forward only (no gradients, one copy of the logits). Training and evaluation
///   alternate, so the total counts the larger of activations and evaluation;
/// - data = 8 (train_examples + val_examples) T for MQAR (inputs and targets as int32); text
///   corpora are not counted (their size is the file's, not the config's).
///
/// Measured against the trainer's recorded `activation_bytes` the activation term is
/// conservative: it overestimates by about 10% on the test models (tested to stay within 1x to 2x).
public struct MemoryEstimate: Sendable, Equatable {
    /// Weights, gradients and AdamW moments.
    public let stateBytes: Double
    /// Activations and their gradients for one micro-batch, attention probabilities and logits.
    public let activationBytes: Double
    /// Forward activations of one evaluation chunk (`evaluationChunkWindows`).
    public let evaluationBytes: Double
    /// Data generated in memory (MQAR examples); 0 for corpora read from files.
    public let dataBytes: Double

    public var totalBytes: Double { stateBytes + max(activationBytes, evaluationBytes) + dataBytes }

    /// The estimate for `model` trained on micro-batches of `batchSize` sequences of `seqLen` tokens.
    public init(model: ModelConfig, batchSize: Int, seqLen: Int, dataBytes: Double = 0) {
        let (b, t) = (Double(batchSize), Double(seqLen))
        let (d, layers, vocab) = (Double(model.dModel), Double(model.nLayers), Double(model.vocabSize))
        let heads = Double(model.attention.nHeads)
        let layer = 6 * d + 4 * Double(model.mlpHidden) + model.attention.kind.design.activationElements(model)
        let perToken = 2 * (layers * layer + 2 * d) + layers * heads * t + 3 * vocab
        let evalPerToken = layers * layer + 2 * d + layers * heads * t + vocab
        let evalChunk = Double(evaluationChunkWindows(windowLength: seqLen, vocab: model.vocabSize))
        stateBytes = 16 * Double(model.parameterCount)
        activationBytes = 4 * b * t * perToken
        evaluationBytes = 4 * evalChunk * t * evalPerToken
        self.dataBytes = dataBytes
    }

    /// The estimate for one run of an experiment: its model, batch size and sequence length,
    /// and for MQAR the generated examples.
    public init(_ config: ExperimentConfig) {
        let mqar = config.data.mqar
        let isMQAR = config.data.source == .mqar
        self.init(
            model: config.model, batchSize: config.train.batchSize, seqLen: config.contextLength,
            dataBytes: isMQAR ? 8 * (Double(mqar.trainExamples) + Double(mqar.valExamples)) * Double(mqar.seqLen) : 0)
    }

    /// One line for `attnlab show` and error messages: total and parts in GiB.
    public var summary: String {
        var parts = ["weights, gradients and AdamW moments \(Self.gib(stateBytes))",
                     activationBytes >= evaluationBytes ? "activations \(Self.gib(activationBytes))" : "evaluation activations \(Self.gib(evaluationBytes))"]
        if dataBytes > 0 { parts.append("MQAR data \(Self.gib(dataBytes))") }
        return "\(Self.gib(totalBytes)) (" + parts.joined(separator: ", ") + ")"
    }

    /// Throws `MemoryEstimateError` when the estimate exceeds `availableBytes` (by default what
    /// this machine has available now, `availableMemoryBytes()`). `what` names the run and
    /// `keys` the settings that shrink it, for the message.
    public func requireFits(
        _ what: String = "this run", keys: String, availableBytes: Double? = MemoryEstimate.availableMemoryBytes()
    ) throws {
        guard let availableBytes, totalBytes > availableBytes else { return }
        throw MemoryEstimateError(
            "\(what) needs an estimated \(summary) but only \(Self.gib(availableBytes)) of memory is available; "
                + "nothing was trained. Lower \(keys)")
    }

    /// The keys that shrink an experiment run, named in refusals.
    public static let experimentKeys = "train.batch_size, data.seq_len (data.mqar.seq_len for MQAR), model.d_model, model.n_layers, model.mlp_hidden or model.vocab_size"

    /// Bytes this machine can give a new process now: `MemAvailable` from /proc/meminfo, else the
    /// physical memory; nil when neither is known.
    public static func availableMemoryBytes() -> Double? {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        {
            return kib * 1024
        }
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Double(physical) : nil
    }

    /// Bytes as GiB with two decimals, e.g. `1.50 GiB`.
    static func gib(_ bytes: Double) -> String { String(format: "%.2f GiB", bytes / 1_073_741_824) }
}

/// A run refused because its memory estimate exceeds the available memory.
public struct MemoryEstimateError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
