import Foundation

/// A trained model rebuilt from a run file: its config, tokenizer and checkpoint weights.
public struct LoadedRun {
    public let config: ExperimentConfig
    public let tokenizer: any Tokenizer
    public let model: DecoderLM<Float>
    public let step: Int

    public init(path: String) throws {
        let reader = try RunReader(path: path)
        defer { try? reader.close() }
        config = try ExperimentConfig(resolvedTOML: try reader.configTOML, source: path)
        tokenizer = try makeTokenizer(serialized: try reader.attribute("tokenizer"))
        model = DecoderLM<Float>(config.model, seed: 0)
        step = try reader.loadCheckpoint(into: model.parameters).step
    }
}

public struct EvaluationResult: CustomStringConvertible, Sendable {
    public var source: String, unit: String
    public var tokens: Int, loss: Double
    public var bitsPerUnit: Double { loss / log(2) }
    public var description: String {
        "\(source): \(tokens) tokens, loss \(fixed(loss, 4)), \(fixed(bitsPerUnit, 4)) bits per \(unit)"
    }
}

/// Which part of a corpus `evaluateCheckpoint` scores, split as in training (`data.val_fraction`).
public enum EvaluationSplit: String, Sendable, CaseIterable {
    case train, val
}

/// Mean next-token loss of a run's checkpoint over non-overlapping windows of the run's
/// sequence length, on the run's own data or any text file its tokenizer can encode.
public func evaluateCheckpoint(path: String, textPath: String?, split: EvaluationSplit, maxTokens: Int, dataDirectory: String = "data") throws -> EvaluationResult {
    guard maxTokens >= 0 else { throw RunFileError("--tokens: expected a count >= 0 (0 = the whole split), found \(maxTokens)") }
    let run = try LoadedRun(path: path)
    let config = run.config
    guard config.data.source != .mqar || textPath != nil else {
        throw RunFileError("\(path) is an MQAR run; its accuracy is in /eval (attnlab inspect); pass --data to score text instead")
    }
    let stream: ArraySlice<Int32>
    let source: String
    if let textPath {
        let bytes = try TextCorpus.file(textPath).bytes
        let ids = try run.tokenizer.encode(bytes)
        let cut = try TokenDataset.splitIndex(count: ids.count, valFraction: config.data.valFraction)
        stream = split == .train ? ids[..<cut] : ids[cut...]
        source = "\(textPath) (\(split) split)"
    } else {
        let corpus = try TextCorpus.load(config.data.source, path: config.data.resolvedPath(), dataDirectory: dataDirectory)
        let all = try TokenDataset.text(corpus.bytes, tokenizer: config.data.tokenizer.rawValue, valFraction: config.data.valFraction)
        stream = split == .train ? all.train : all.validation
        source = "the run's \(config.data.source.rawValue) corpus (\(split) split)"
    }
    let t = config.data.seqLen, window = t + 1
    var windows = max(0, (stream.count - 1) / t)
    if maxTokens > 0 { windows = min(windows, max(1, maxTokens / t)) }
    guard windows > 0, stream.count >= window else { throw RunFileError("\(source): fewer than seq_len + 1 = \(window) tokens to evaluate") }
    var batches: [TokenBatch] = []
    var w = 0
    while w < windows {
        let rows = min(config.train.batchSize, windows - w)
        var inputs: [Int32] = [], targets: [Int32] = []
        for r in 0..<rows {
            let start = stream.startIndex + (w + r) * t
            inputs += stream[start..<(start + t)]
            targets += stream[(start + 1)...(start + t)]
        }
        batches.append(TokenBatch(batchSize: rows, seqLen: t, inputs: inputs, targets: targets))
        w += rows
    }
    return EvaluationResult(source: source, unit: run.tokenizer.unit, tokens: windows * t, loss: meanLoss(run.model, batches: batches))
}

/// Streams generated text to `emit` (or, with `tokenIDs`, the generated token ids separated by
/// spaces, without the prompt) and returns a one-line cost report.
public func generateFromCheckpoint(
    path: String, prompt: String, maxNewTokens: Int, temperature: Double, topK: Int, seed: UInt64,
    latentDecode mode: LatentDecodeMode, tokenIDs: Bool = false, emit: (String) -> Void
) throws -> String {
    let run = try LoadedRun(path: path)
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
    var line = String(format: "%d prompt + %d generated tokens; prefill %.3f s; decode %.1f tokens/s; KV cache %d bytes used, %d allocated (%@, %@ decoding)",
                      report.promptTokens, report.generatedTokens, report.prefillSeconds, report.decodeTokensPerSecond,
                      report.cacheUsedBytes, report.cacheAllocatedBytes, run.config.model.attention.kind.rawValue, mode.rawValue)
    if report.stoppedAtContextLimit { line += "; stopped at max_seq_len \(run.config.model.maxSeqLen)" }
    return line + "\n"
}
