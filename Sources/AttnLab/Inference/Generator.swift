import Foundation

/// What a generation produced and what it cost.
public struct GenerationReport: Sendable {
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Seconds of the prefill call, which also yields the first generated token.
    public var prefillSeconds: Double
    /// Seconds from the first token's hand-off to the last: the single-token decode steps (one
    /// per generated token after the first) and `onToken`'s time.
    public var decodeSeconds: Double
    public var cacheAllocatedBytes: Int
    public var cacheUsedBytes: Int
    public var stoppedAtContextLimit: Bool
    /// Decode steps run: every generated token but the first, which the prefill produced.
    public var decodeSteps: Int { max(generatedTokens - 1, 0) }
    /// Decode steps per second; nil when no decode step ran (one token or none generated).
    public var decodeTokensPerSecond: Double? {
        decodeSteps > 0 ? Double(decodeSteps) / max(decodeSeconds, 1e-9) : nil
    }
}

/// Autoregressive generation with a KV cache: the prompt is prefilled in one call, then one token
/// per step. Tokens are handed to `onToken` as they are produced.
public func generate<T: Scalar>(
    model: DecoderLM<T>, prompt: [Int32], maxNewTokens: Int, sampler: inout Sampler,
    latentDecode: LatentDecodeMode = .absorbed, onToken: (Int32) -> Void
) -> GenerationReport {
    precondition(!prompt.isEmpty, "generation needs a non-empty prompt")
    let limit = model.config.maxSeqLen
    let promptIds = Array(prompt.suffix(limit))
    let cache = model.makeCache(batch: 1, latentDecode: latentDecode)
    let g = Graph<T>(recording: false)
    let v = model.config.vocabSize
    let clock = ContinuousClock()
    let t0 = clock.now
    var logits = model.logits(g, ids: promptIds, batch: 1, cache: cache)
    var next = sampler.sample(logits.ptr + (promptIds.count - 1) * v, count: v)
    let prefill = (clock.now - t0).seconds
    var produced = 0
    let t1 = clock.now
    while produced < maxNewTokens {
        onToken(next)
        produced += 1
        if produced == maxNewTokens || cache.length >= limit { break }
        g.reset()
        logits = model.logits(g, ids: [next], batch: 1, cache: cache)
        next = sampler.sample(logits.ptr, count: v)
    }
    return GenerationReport(
        promptTokens: promptIds.count, generatedTokens: produced, prefillSeconds: prefill,
        decodeSeconds: (clock.now - t1).seconds, cacheAllocatedBytes: cache.allocatedBytes,
        cacheUsedBytes: cache.usedBytes, stoppedAtContextLimit: produced < maxNewTokens)
}
