/// Targets equal to this are skipped by the loss (PyTorch's convention).
public let ignoreIndex: Int32 = -100

extension Graph {
    /// Mean cross-entropy of logits [..., V] against integer targets (one per row), skipping
    /// rows whose target is `ignoreIndex`. Returns shape [1]; 0 when every row is ignored.
    public func crossEntropy(_ logits: Tensor<T>, targets: [Int32]) -> Tensor<T> {
        let v = logits.lastDim, rows = logits.rows
        precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of \(logits.shape)")
        for t in targets { precondition(t == ignoreIndex || (t >= 0 && Int(t) < v), "target \(t) outside vocabulary of \(v)") }
        let grad = needsGrad(logits)
        let y = output([1], grad: grad)
        let lse = scratch(rows)  // log-sum-exp per row, reused by the backward
        let lp = logits.ptr, lsep = lse.pointer
        let (total, counted) = Graph.rowCrossEntropySum(logits, targets: targets, logSumExp: lsep)
        y.ptr[0] = counted > 0 ? T(total / Double(counted)) : 0
        guard grad, counted > 0 else { return y }
        record(.embeddingLoss, output: y) {
            // Ignored rows are not written, so with any of them the gradient is zero-filled first.
            let assign = logits.grad!.claimFirstWrite(writesAll: counted == rows)
            let g = y.gptr[0] / T(counted), dl = logits.gptr
            targets.withUnsafeBufferPointer { tp in
                Parallel.forRanges(rows, grain: Parallel.grain(elementsPerItem: v)) { range in
                    withUnsafeTemporaryAllocation(of: T.self, capacity: v) { buffer in
                        let p = buffer.baseAddress!
                        for r in range {
                            let t = tp[r]
                            if t == ignoreIndex { continue }
                            let drow = dl + r * v
                            T.exponentials(lp + r * v, minus: lsep[r], into: p, count: v)
                            for j in 0..<v { drow[j] = gradientSum(drow[j], g * p[j], assign: assign) }
                            drow[Int(t)] -= g
                        }
                    }
                }
            }
        }
        return y
    }

    /// The summed cross-entropy (nats) of logits [..., V] against `targets` over the rows whose
    /// target is not `ignoreIndex`, and how many rows that is. Each row's log-sum-exp is computed
    /// in `T` on its own (so the split across workers does not change it; its exponentials
    /// are one `Scalar.exponentials` call and its sum a `BlockedSum`); the per-row losses
    /// are summed in Double in row order. `logSumExp` receives every row's log-sum-exp.
    static func rowCrossEntropySum(_ logits: Tensor<T>, targets: [Int32], logSumExp lsep: UnsafeMutablePointer<T>) -> (sum: Double, count: Int) {
        let v = logits.lastDim, rows = logits.rows, lp = logits.ptr
        Parallel.forRanges(rows, grain: Parallel.grain(elementsPerItem: v)) { range in
            withUnsafeTemporaryAllocation(of: T.self, capacity: v) { buffer in
                let e = buffer.baseAddress!
                for r in range {
                    let row = lp + r * v
                    let m = BlockedSum.maximum(row, count: v)
                    T.exponentials(row, minus: m, into: e, count: v)
                    lsep[r] = m + T.logarithm(BlockedSum.sum(e, count: v))
                }
            }
        }
        var total = 0.0
        var counted = 0
        for r in 0..<rows where targets[r] != ignoreIndex {
            total += Double(lsep[r] - lp[r * v + Int(targets[r])])
            counted += 1
        }
        return (total, counted)
    }

    /// `rowCrossEntropySum` without recording anything: the summed loss (nats) over the labelled
    /// rows and their count, for evaluation.
    public func crossEntropySum(_ logits: Tensor<T>, targets: [Int32]) -> (sum: Double, count: Int) {
        precondition(targets.count == logits.rows, "crossEntropySum: \(targets.count) targets for \(logits.rows) rows of \(logits.shape)")
        let v = logits.lastDim
        for t in targets { precondition(t == ignoreIndex || (t >= 0 && Int(t) < v), "target \(t) outside vocabulary of \(v)") }
        return Graph.rowCrossEntropySum(logits, targets: targets, logSumExp: scratch(logits.rows).pointer)
    }
}
