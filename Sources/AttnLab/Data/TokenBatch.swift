/// `batchSize` rows of `seqLen` token ids, row-major; `targets[i]` is the id to predict at
/// `inputs[i]` (or `ignoreIndex`).
public struct TokenBatch: Sendable, Equatable {
    public let batchSize: Int
    public let seqLen: Int
    public var inputs: [Int32]
    public var targets: [Int32]

    public init(batchSize: Int, seqLen: Int, inputs: [Int32], targets: [Int32]) {
        precondition(inputs.count == batchSize * seqLen && targets.count == inputs.count, "batch shape")
        self.batchSize = batchSize; self.seqLen = seqLen; self.inputs = inputs; self.targets = targets
    }
}
