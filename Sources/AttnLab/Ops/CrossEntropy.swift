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
        Parallel.forRanges(rows, grain: max(16384 / v, 1)) { range in
            for r in range {
                let row = lp + r * v
                var m = row[0]
                for j in 1..<v where row[j] > m { m = row[j] }
                var s: T = 0
                for j in 0..<v { s += T.expo(row[j] - m) }
                lsep[r] = m + T.logarithm(s)
            }
        }
        // The loss sums rows in a fixed order, so it is the same whatever the worker count.
        var total = 0.0
        var counted = 0
        for r in 0..<rows where targets[r] != ignoreIndex {
            total += Double(lsep[r] - lp[r * v + Int(targets[r])])
            counted += 1
        }
        y.ptr[0] = counted > 0 ? T(total / Double(counted)) : 0
        guard grad, counted > 0 else { return y }
        record {
            let g = y.gptr[0] / T(counted), dl = logits.gptr
            targets.withUnsafeBufferPointer { tp in
                Parallel.forRanges(rows, grain: max(16384 / v, 1)) { range in
                    for r in range {
                        let t = tp[r]
                        if t == ignoreIndex { continue }
                        let row = lp + r * v, drow = dl + r * v, l = lsep[r]
                        for j in 0..<v { drow[j] += g * T.expo(row[j] - l) }
                        drow[Int(t)] -= g
                    }
                }
            }
        }
        return y
    }
}
