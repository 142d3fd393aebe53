/// Draws training batches with the project's PRNG. Its state is `rng.state`; restoring it with
/// `SeededRandom(state:)` makes a resumed run draw exactly the batches it would have drawn.
public struct BatchSampler: Sendable {
    public enum Source: Sendable {
        /// A token stream: each row is a uniformly placed window of seqLen + 1 tokens,
        /// inputs = window[0..<T], targets = window[1...T].
        case stream(ArraySlice<Int32>)
        /// Fixed examples (e.g. MQAR): each row is an example picked uniformly by index.
        case examples(TokenBatch)
    }

    public let source: Source
    public let batchSize: Int
    public let seqLen: Int
    public var rng: SeededRandom

    public init(stream: ArraySlice<Int32>, seqLen: Int, batchSize: Int, rng: SeededRandom) throws {
        guard stream.count > seqLen else {
            throw DataError("batch sampler: the training split has \(stream.count) tokens; expected more than seq_len = \(seqLen)")
        }
        self.source = .stream(stream); self.seqLen = seqLen; self.batchSize = batchSize; self.rng = rng
    }

    public init(examples: TokenBatch, batchSize: Int, rng: SeededRandom) throws {
        guard examples.batchSize > 0 else { throw DataError("batch sampler: no training examples; expected at least one") }
        self.source = .examples(examples); self.seqLen = examples.seqLen; self.batchSize = batchSize; self.rng = rng
    }

    public mutating func next() -> TokenBatch {
        let t = seqLen
        var inputs = [Int32](repeating: 0, count: batchSize * t)
        var targets = [Int32](repeating: 0, count: batchSize * t)
        switch source {
        case .stream(let s):
            s.withUnsafeBufferPointer { src in
                for r in 0..<batchSize {
                    let start = rng.below(src.count - t)
                    for i in 0..<t {
                        inputs[r * t + i] = src[start + i]
                        targets[r * t + i] = src[start + i + 1]
                    }
                }
            }
        case .examples(let ex):
            for r in 0..<batchSize {
                let k = rng.below(ex.batchSize)
                inputs.replaceSubrange((r * t)..<((r + 1) * t), with: ex.inputs[(k * t)..<((k + 1) * t)])
                targets.replaceSubrange((r * t)..<((r + 1) * t), with: ex.targets[(k * t)..<((k + 1) * t)])
            }
        }
        return TokenBatch(batchSize: batchSize, seqLen: t, inputs: inputs, targets: targets)
    }
}

/// MQAR train and validation examples: fixed sets generated once, the validation set from a
/// seed stream distinct from the training one so the two are independent draws.
public struct MQARDataset: Sendable {
    public let generator: MQARGenerator
    public let train: TokenBatch
    public let validation: TokenBatch

    /// Validation uses seed `seed ^ validationSeedMask`; documented so it can be reproduced.
    public static let validationSeedMask: UInt64 = 0x5641_4C49_4441_5445  // "VALIDATE"

    public init(generator: MQARGenerator, trainExamples: Int, validationExamples: Int, seed: UInt64) {
        self.generator = generator
        self.train = generator.generate(count: trainExamples, seed: seed)
        self.validation = generator.generate(count: validationExamples, seed: seed ^ Self.validationSeedMask)
    }
}
