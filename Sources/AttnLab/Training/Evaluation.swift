import Foundation

// The one evaluation loop, of training runs and of `attnlab eval`: next-token cross-entropy of
// a model over windows of a `ValidationSet`, without recording a graph.

/// The summed result of evaluating windows of a `ValidationSet`.
public struct ValidationResult: Sendable, Equatable {
    /// Windows evaluated.
    public var windows: Int
    /// Sum of the per-token losses (nats) over the scored tokens, accumulated in Double.
    public var lossSum: Double
    /// Tokens scored: every target for text, the labelled positions for MQAR.
    public var scoredTokens: Int
    /// Scored tokens whose argmax prediction is the target.
    public var correct: Int

    /// Mean loss per scored token, nats (0 when nothing was scored).
    public var loss: Double { scoredTokens > 0 ? lossSum / Double(scoredTokens) : 0 }
    /// Loss in bits per token (per byte for the byte tokenizer, per character for char).
    public var bitsPerToken: Double { loss / log(2) }
    /// Exact-match accuracy of the argmax prediction on the scored tokens (MQAR's recall).
    public var accuracy: Double { scoredTokens > 0 ? Double(correct) / Double(scoredTokens) : 0 }
}

/// Windows per forward pass of an evaluation: the largest count whose logits (windows x T x V
/// float32) fit in 8 MiB, between 1 and 16 (the default `train.batch_size`, so evaluation never
/// needs much more activation memory than a default training step). It depends on T =
/// `windowLength` and V = `vocab` only, so the trainer and `attnlab eval` split a set into the
/// same chunks and compute bit-identical losses from the same weights.
public func evaluationChunkWindows(windowLength: Int, vocab: Int) -> Int {
    let (perWindow, overflow) = windowLength.multipliedReportingOverflow(by: vocab)
    return overflow ? 1 : max(1, min(16, (1 << 21) / max(1, perWindow)))
}

/// Evaluates `model` on the windows `indices` of `set` (in order), in chunks of
/// `evaluationChunkWindows` windows. The per-token losses are summed in Double, in row order
/// within a chunk and chunk by chunk, so the result is a function of the weights, the set and
/// the windows (and of the thread count only as far as the logits are).
/// With `accuracy`, also counts argmax hits on the scored tokens.
public func evaluate(_ model: DecoderLM<Float>, on set: ValidationSet, windows indices: [Int], accuracy: Bool = false) -> ValidationResult {
    let v = model.config.vocabSize
    let chunk = evaluationChunkWindows(windowLength: set.windowLength, vocab: v)
    var result = ValidationResult(windows: indices.count, lossSum: 0, scoredTokens: 0, correct: 0)
    let g = Graph<Float>(recording: false)
    var start = 0
    while start < indices.count {
        let batch = set.batch(indices[start..<min(start + chunk, indices.count)])
        let logits = model.logits(g, ids: batch.inputs, batch: batch.batchSize)
        let (sum, count) = g.crossEntropySum(logits, targets: batch.targets)
        result.lossSum += sum
        result.scoredTokens += count
        if accuracy {
            for (row, target) in batch.targets.enumerated() where target != ignoreIndex {
                let p = logits.ptr + row * v
                var best = 0
                for j in 1..<v where p[j] > p[best] { best = j }
                if best == Int(target) { result.correct += 1 }
            }
        }
        g.reset()
        start += chunk
    }
    return result
}
