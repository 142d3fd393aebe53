import Foundation

/// A trained model rebuilt from a run file: its config, tokenizer and checkpoint weights.
public struct LoadedRun {
    /// The run file it was loaded from.
    public let path: String
    public let config: ExperimentConfig
    public let tokenizer: any Tokenizer
    public let model: DecoderLM<Float>
    public let step: Int
    /// The worker threads the run trained and evaluated with (the `threads` attribute).
    public let threads: Int
    /// The run's whole-split final evaluation, when the file has one (format 3, finished).
    public let finalEvaluation: FinalEvaluation?

    public init(path: String) throws {
        let reader = try RunReader(path: path)
        defer { try? reader.close() }
        self.path = path
        config = try ExperimentConfig(resolvedTOML: try reader.configTOML, source: path)
        tokenizer = try makeTokenizer(serialized: try reader.attribute("tokenizer"))
        model = DecoderLM<Float>(config.model, seed: 0)
        step = try reader.loadCheckpoint(into: model.parameters).step
        threads = try reader.intAttribute("threads")
        finalEvaluation = try reader.finalEvaluation()
    }
}

/// What `evaluateCheckpoint` measured.
public struct EvaluationResult: CustomStringConvertible, Sendable {
    /// What was evaluated, e.g. "the run's fortunes corpus (val split)".
    public var source: String
    /// The checkpoint's step.
    public var step: Int
    public var windows: Int, windowLength: Int
    /// Tokens scored (every target; MQAR: the labelled positions).
    public var tokens: Int
    /// Mean loss per scored token, nats.
    public var loss: Double
    /// The second metric's name and value: "bits per byte" (char, token) or "accuracy" (MQAR).
    public var metricName: String, metric: Double
    /// The run's stored final evaluation when this evaluation covers the same windows (the run's
    /// own whole validation split) at the same step; nil otherwise.
    public var stored: FinalEvaluation?

    /// |loss - stored loss| / |stored loss|.
    public var relativeDifference: Double? {
        guard let s = stored?.values["loss"] else { return nil }
        return abs(loss - s) / abs(s)
    }

    /// Loss in shortest round-trip form (every digit a Double has), so an exact reproduction shows.
    public var description: String {
        var lines = [
            "\(source): \(windows) windows of \(windowLength) tokens, \(tokens) tokens scored, checkpoint at step \(step)",
            "loss \(loss) nats/token, \(metricName) \(String(format: "%.9f", metric))",
        ]
        if let stored, let s = stored.values["loss"], let d = relativeDifference {
            lines.append("stored final evaluation (step \(stored.step), \(stored.windows) windows): loss \(s); relative difference \(d == 0 ? "0" : String(format: "%.2e", d))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Which part of a corpus `evaluateCheckpoint` scores, split as in training (`data.val_fraction`).
public enum EvaluationSplit: String, Sendable, CaseIterable {
    case train, val
}

/// Evaluates a run's checkpoint on the `ValidationSet` windows of a split, with the trainer's
/// evaluation (`evaluate(_:on:windows:)`: same windows, same chunks) and the run's thread count,
/// so on the run's own validation split it reproduces the run's final evaluation exactly.
///
/// - `textPath` nil: the run's own data (`TrainingData`, MQAR included: its validation examples);
///   otherwise any text file the run's tokenizer encodes, split by `data.val_fraction`.
/// - `maxTokens` > 0: only the first windows covering that many targets
///   (`ValidationSet.leading(tokens:)`); 0 = the whole split.
///
/// - Throws: `RunFileError` for a file without a checkpoint or a negative `maxTokens`,
///   `DataError` when the data cannot be read or has fewer than seq_len + 1 tokens.
public func evaluateCheckpoint(path: String, textPath: String?, split: EvaluationSplit, maxTokens: Int, dataDirectory: String = "data") throws -> EvaluationResult {
    guard maxTokens >= 0 else { throw RunFileError("--tokens: expected a count >= 0 (0 = the whole split), found \(maxTokens)") }
    let run = try LoadedRun(path: path)
    let config = run.config
    Parallel.workers = run.threads
    BLASThreads.setCount(run.threads)
    let set: ValidationSet
    var source: String, unit = run.tokenizer.unit, recall = false
    if let textPath {
        let ids = try run.tokenizer.encode(try TextCorpus.file(textPath).bytes)
        let cut = try TokenDataset.splitIndex(count: ids.count, valFraction: config.data.valFraction)
        set = try ValidationSet(stream: split == .train ? ids[..<cut] : ids[cut...], seqLen: config.data.seqLen)
        source = "\(textPath) (\(split) split)"
    } else if split == .val {
        let data = try TrainingData(config, seed: config.train.seed, dataDirectory: dataDirectory)
        set = data.validation
        recall = data.metric == .recall
        if case .text(let u) = data.metric { unit = u }
        source = "the run's \(config.data.source.rawValue) data (val split)"
    } else {
        guard config.data.source != .mqar else {
            throw RunFileError("\(path) is an MQAR run: only its validation examples can be evaluated (--split val), or text with --data")
        }
        set = try ValidationSet(stream: try TrainingData.tokenDataset(config, dataDirectory: dataDirectory).dataset.train, seqLen: config.data.seqLen)
        source = "the run's \(config.data.source.rawValue) data (train split)"
    }
    let indices = set.leading(tokens: maxTokens)
    let r = evaluate(run.model, on: set, windows: indices, accuracy: recall)
    let comparable = textPath == nil && split == .val && indices.count == set.count && run.finalEvaluation?.step == run.step
    return EvaluationResult(
        source: source, step: run.step, windows: r.windows, windowLength: set.windowLength, tokens: r.scoredTokens, loss: r.loss,
        metricName: recall ? "accuracy" : "bits per \(unit)", metric: recall ? r.accuracy : r.bitsPerToken,
        stored: comparable ? run.finalEvaluation : nil)
}

extension LoadedRun {
    /// The latent decoding path to use for this run: `given`, or absorbed when nil.
    ///
    /// - Throws: `RunFileError` when `given` is set and the run's attention has no latent (MHA,
    ///   GQA, MQA, GTA have one decoding path, so the choice would be silently ignored).
    public func latentDecodeMode(_ given: LatentDecodeMode?) throws -> LatentDecodeMode {
        let kind = config.model.attention.kind
        if let given, !kind.hasKVLatent {
            throw RunFileError("--latent-decode \(given.rawValue): \(path) has \(kind.rawValue) attention, which has one decoding "
                               + "path; the option applies to mla and gla runs only")
        }
        return given ?? .absorbed
    }
}

/// Streams generated text to `emit` (or, with `tokenIDs`, the generated token ids separated by
/// spaces, without the prompt) and returns a one-line cost report.
///
/// - `latentDecode`: the latent attentions' (MLA, GLA) decoding path; nil = absorbed.
/// - Throws: `RunFileError` for a file without a checkpoint, a prompt of no tokens, or a
///   `latentDecode` given for a run whose attention has no latent (nothing would use it).
public func generateFromCheckpoint(
    path: String, prompt: String, maxNewTokens: Int, temperature: Double, topK: Int, seed: UInt64,
    latentDecode: LatentDecodeMode?, tokenIDs: Bool = false, emit: (String) -> Void
) throws -> String {
    let run = try LoadedRun(path: path)
    let kind = run.config.model.attention.kind
    let mode = try run.latentDecodeMode(latentDecode)
    let ids = try run.tokenizer.encode(Array(prompt.utf8))
    guard !ids.isEmpty else { throw RunFileError("--prompt: expected at least one token, found an empty prompt") }
    var sampler = try Sampler(temperature: temperature, topK: topK, seed: seed)
    let byteLevel = run.tokenizer.kind == "byte"
    var pending: [UInt8] = []
    emit(tokenIDs ? "" : prompt)
    let report = generate(model: run.model, prompt: ids, maxNewTokens: maxNewTokens, sampler: &sampler, latentDecode: mode) { id in
        // `tokenIDs`: the generated ids, space-separated, instead of text (for exact comparisons).
        if tokenIDs { emit("\(id) "); return }
        guard byteLevel else { emit(run.tokenizer.decode([id])); return }
        // Bytes are held until they form complete UTF-8 characters.
        pending.append(UInt8(truncatingIfNeeded: id))
        if let s = String(validating: pending, as: UTF8.self) { emit(s); pending.removeAll() }
        else if pending.count >= 4 { emit(String(decoding: pending, as: UTF8.self)); pending.removeAll() }
    }
    if !pending.isEmpty { emit(String(decoding: pending, as: UTF8.self)) }
    // The latent decoding mode exists only for the latent attentions (MLA, GLA).
    let decode = report.decodeTokensPerSecond.map { String(format: "%.1f tokens/s", $0) } ?? "none (the prefill gave the only token)"
    var line = String(format: "%d prompt + %d generated token%@; prefill %.3f s; decode %@; KV cache %d bytes used, %d allocated (%@)",
                      report.promptTokens, report.generatedTokens, report.generatedTokens == 1 ? "" : "s", report.prefillSeconds, decode,
                      report.cacheUsedBytes, report.cacheAllocatedBytes,
                      kind.hasKVLatent ? "\(kind.rawValue), \(mode.rawValue) decoding" : kind.rawValue)
    if ids.count > report.promptTokens {
        line += "; the prompt's first \(ids.count - report.promptTokens) of \(ids.count) tokens were dropped: "
            + "the model saw its last max_seq_len = \(run.config.model.maxSeqLen)"
    }
    if report.stoppedAtContextLimit { line += "; stopped at max_seq_len \(run.config.model.maxSeqLen)" }
    return line + "\n"
}
