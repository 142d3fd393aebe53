extension Graph {
    /// Rows of `table` [V, D] gathered by token ids → [ids.count / last, last, D] as given by
    /// `shape` (e.g. [B, T]). The backward scatter-adds into the table's gradient in token order,
    /// so repeated tokens accumulate deterministically.
    public func embedding(_ table: Tensor<T>, ids: [Int32], shape: [Int]) -> Tensor<T> {
        precondition(table.rank == 2, "embedding table must be [V, D], got \(table.shape)")
        precondition(shape.reduce(1, *) == ids.count, "embedding: \(ids.count) ids do not fill shape \(shape)")
        let (v, d) = (table.shape[0], table.shape[1])
        for id in ids { precondition(id >= 0 && Int(id) < v, "token id \(id) outside vocabulary of \(v)") }
        let grad = needsGrad(table)
        let y = output(shape + [d], grad: grad)
        let tp = table.ptr, yp = y.ptr
        ids.withUnsafeBufferPointer { idp in
            for (i, id) in idp.enumerated() { (yp + i * d).update(from: tp + Int(id) * d, count: d) }
        }
        guard grad else { return y }
        record(.embeddingLoss, output: y) {
            // A scatter: rows of tokens not in the batch are not written.
            table.grad!.materialize()
            let dt = table.gptr, dy = y.gptr
            ids.withUnsafeBufferPointer { idp in
                for (i, id) in idp.enumerated() {
                    let row = dt + Int(id) * d, g = dy + i * d
                    for j in 0..<d { row[j] += g[j] }
                }
            }
        }
        return y
    }
}
