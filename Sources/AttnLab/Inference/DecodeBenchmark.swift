import Foundation

/// One measurement of `attnlab bench decode`: a variant, decoding path, batch and context length.
public struct DecodeBenchmarkRow: Codable, Sendable {
    /// Attention kind (reference model) or run name (experiment).
    public var model: String
    public var attention: String
    /// The decoded model with its derived widths written out (`ModelConfig.resolved`,
    /// `max_seq_len` raised to the longest context): what the PyTorch twin (`bench/`) builds.
    public var modelConfig: ModelConfig
    /// `naive` or `absorbed` for the latent variants (MLA, GLA); nil for the others (one path).
    public var latentDecode: String?
    /// Sequences decoded together.
    public var batch: Int
    /// Tokens in the cache when a timed step starts (the prefilled context).
    public var context: Int
    /// KV-cache bytes one sequence holds at `context` tokens (fp32, every layer), read from the cache.
    public var kvBytesPerSequence: Int
    /// Median wall-clock milliseconds of one decode step (one new token for each of `batch` sequences).
    public var msPerStep: Double
    /// batch / median step seconds: generated tokens per second over the batch.
    public var tokensPerSecond: Double
}

/// The rows of a decode benchmark with where and how they were measured.
public struct DecodeBenchmarkReport: Codable, Sendable {
    public var environment: BenchmarkEnvironment
    /// Threads for ops and OpenBLAS (every core).
    public var threads: Int
    /// Timed decode steps per row (their median is reported), after the prefill.
    public var decodeSteps: Int
    public var rows: [DecodeBenchmarkRow]

    /// A Markdown table, one line per row, under a line naming the environment (what
    /// `attnlab bench decode` prints).
    public var table: String {
        let header = ["model", "attention", "decode", "batch", "context", "KV bytes/sequence", "ms/step (median)", "tokens/s"]
        var lines = [environment.summary + ", \(threads) thread(s), median of \(decodeSteps) decode steps", "",
                     "| " + header.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: header.count)]
        for r in rows {
            let cells = [r.model, r.attention, r.latentDecode ?? "-", "\(r.batch)", grouped(r.context),
                         grouped(r.kvBytesPerSequence), fixed(r.msPerStep, 2), fixed(r.tokensPerSecond, 0)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

/// Cached-decoding speed and KV-cache size against context length. For each model (the
/// reference model of `ModelConfig()` for every attention kind, or each distinct model of
/// `experiment`'s runs), each decoding path (`naive` and `absorbed` for MLA and GLA), each batch
/// and each context: a fresh cache is prefilled with `context` random token ids per sequence
/// (seeded, `prefillChunk` tokens per call so the prefill's attention scores stay small), then
/// `decodeSteps` single-token steps are timed and their median reported. The
/// models' `max_seq_len` is raised to the largest context plus `decodeSteps`; weights are the
/// seeded initialisation (speed does not depend on their values). Runs on every core.
/// - Throws: `ExperimentError`/`TrainingBenchmarkError` for a bad experiment or run,
///   `ModelConfigError` for a model that is invalid at the raised `max_seq_len`,
///   `BenchmarkOutputError` when `json` cannot be written.
public func benchmarkDecoding(
    experiment: (name: String, directory: URL)? = nil, contexts: [Int], batches: [Int], decodeSteps: Int = 5,
    prefillChunk: Int = 256, json: String? = nil, progress: (String) -> Void = { _ in }
) throws -> DecodeBenchmarkReport {
    precondition(!contexts.isEmpty && !batches.isEmpty && decodeSteps >= 1, "decode benchmark needs contexts, batches and steps")
    precondition(contexts.allSatisfy { $0 >= 1 } && batches.allSatisfy { $0 >= 1 } && prefillChunk >= 1, "contexts, batches and the prefill chunk must be positive")
    if let json { try checkBenchmarkOutput(json) }
    let environment = BenchmarkEnvironment.current()
    var models: [(name: String, config: ModelConfig)]
    if let experiment {
        models = []
        for (name, config) in try TrainingBenchmarkSource.experiment(name: experiment.name, directory: experiment.directory, run: nil).cases()
        where !models.contains(where: { $0.config == config.model }) {
            models.append((name, config.model))
        }
    } else {
        models = AttentionKind.allCases.map { kind in
            var config = ModelConfig()
            config.attention.kind = kind
            return (kind.rawValue, config)
        }
    }
    let longest = contexts.max()! + decodeSteps
    for i in models.indices {
        models[i].config.maxSeqLen = max(models[i].config.maxSeqLen, longest)
        try models[i].config.validate()
    }
    let threads = useTrainingThreads(0)
    var rows: [DecodeBenchmarkRow] = []
    for (name, config) in models {
        let model = DecoderLM<Float>(config, seed: 1)
        let modes: [LatentDecodeMode?] = config.attention.kind.hasKVLatent ? LatentDecodeMode.allCases : [nil]
        for mode in modes {
            progress("decoding \(name)\(mode.map { " (\($0.rawValue))" } ?? "") at contexts \(contexts.map(String.init).joined(separator: ","))")
            for batch in batches {
                for context in contexts {
                    let start = ContinuousClock.now
                    let row = timeDecodeSteps(model: model, name: name, mode: mode, batch: batch, context: context,
                                              steps: decodeSteps, prefillChunk: prefillChunk)
                    rows.append(row)
                    progress("  batch \(batch), context \(context): \(String(format: "%.2f", row.msPerStep)) ms/step, "
                             + "row done in \(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s (prefill included)")
                }
            }
        }
    }
    let report = DecodeBenchmarkReport(environment: environment, threads: threads, decodeSteps: decodeSteps, rows: rows)
    if let json { try writeBenchmarkJSON(report, to: json) }
    return report
}

/// One row of `benchmarkDecoding`.
private func timeDecodeSteps(
    model: DecoderLM<Float>, name: String, mode: LatentDecodeMode?, batch: Int, context: Int, steps: Int, prefillChunk: Int
) -> DecodeBenchmarkRow {
    let vocab = model.config.vocabSize
    var rng = SeededRandom(seed: 7)
    let cache = model.makeCache(batch: batch, latentDecode: mode ?? .absorbed)
    cache.layers.forEach { $0.reserve(context + steps) }
    let g = Graph<Float>(recording: false)
    for start in stride(from: 0, to: context, by: prefillChunk) {
        let tokens = min(prefillChunk, context - start)
        let chunk = (0..<(batch * tokens)).map { _ in Int32(rng.below(vocab)) }
        _ = model.logits(g, ids: chunk, batch: batch, cache: cache)
        g.reset()
    }
    let kvBytesPerSequence = cache.usedBytes / batch
    let clock = ContinuousClock()
    var seconds: [Double] = []
    for _ in 0..<steps {
        let next = (0..<batch).map { _ in Int32(rng.below(vocab)) }
        let t0 = clock.now
        _ = model.logits(g, ids: next, batch: batch, cache: cache)
        seconds.append((clock.now - t0).seconds)
        g.reset()
    }
    let stepSeconds = median(seconds) ?? 0
    return DecodeBenchmarkRow(
        model: name, attention: model.config.attention.kind.rawValue, modelConfig: model.config.resolved, latentDecode: mode?.rawValue, batch: batch,
        context: context, kvBytesPerSequence: kvBytesPerSequence, msPerStep: stepSeconds * 1000,
        tokensPerSecond: Double(batch) / max(stepSeconds, 1e-12))
}
