extension Graph {
    /// Shared shape logic for binary ops: `b` is either `a`'s shape or a suffix of it (a row
    /// broadcast, e.g. a bias [C] over [B, T, C]); `b` repeats every `b.count` elements of `a`.
    @inline(__always)
    private func broadcastCount(_ a: Tensor<T>, _ b: Tensor<T>, _ op: String) -> Int {
        precondition(b.rank <= a.rank && Array(a.shape.suffix(b.rank)) == b.shape,
                     "\(op): shape \(b.shape) does not broadcast over \(a.shape)")
        return b.count
    }

    /// a + b, with `b` row-broadcast over `a`.
    public func add(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
        binary(a, b, "add", sign: 1)
    }

    /// a − b, with `b` row-broadcast over `a`.
    public func sub(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
        binary(a, b, "sub", sign: -1)
    }

    private func binary(_ a: Tensor<T>, _ b: Tensor<T>, _ op: String, sign: T) -> Tensor<T> {
        let nb = broadcastCount(a, b, op)
        let grad = needsGrad(a, b)
        let y = output(a.shape, grad: grad)
        let n = a.count, ap = a.ptr, bp = b.ptr, yp = y.ptr
        Parallel.forRanges(n / nb, grain: max(16384 / nb, 1)) { rows in
            for row in rows {
                let base = row * nb
                for j in 0..<nb { yp[base + j] = ap[base + j] + sign * bp[j] }
            }
        }
        guard grad else { return y }
        record(.normElementwise) {
            let dy = y.gptr
            if let ga = a.grad {
                let da = ga.pointer
                Parallel.forRanges(n) { r in for i in r { da[i] += dy[i] } }
            }
            if let gb = b.grad {
                let db = gb.pointer
                var base = 0
                while base < n {
                    for j in 0..<nb { db[j] += sign * dy[base + j] }
                    base += nb
                }
            }
        }
        return y
    }

    /// a ⊙ b, with `b` row-broadcast over `a`.
    public func mul(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
        let nb = broadcastCount(a, b, "mul")
        let grad = needsGrad(a, b)
        let y = output(a.shape, grad: grad)
        let n = a.count, ap = a.ptr, bp = b.ptr, yp = y.ptr
        var base = 0
        while base < n {
            for j in 0..<nb { yp[base + j] = ap[base + j] * bp[j] }
            base += nb
        }
        guard grad else { return y }
        record(.normElementwise) {
            let dy = y.gptr
            var base = 0
            while base < n {
                if let ga = a.grad {
                    let da = ga.pointer
                    for j in 0..<nb { da[base + j] += dy[base + j] * bp[j] }
                }
                if let gb = b.grad {
                    let db = gb.pointer
                    for j in 0..<nb { db[j] += dy[base + j] * ap[base + j] }
                }
                base += nb
            }
        }
        return y
    }

    /// s · x for a constant s.
    public func scale(_ x: Tensor<T>, _ s: T) -> Tensor<T> {
        let grad = needsGrad(x)
        let y = output(x.shape, grad: grad)
        let n = x.count, xp = x.ptr, yp = y.ptr
        for i in 0..<n { yp[i] = s * xp[i] }
        guard grad else { return y }
        record(.normElementwise) {
            let dy = y.gptr, dx = x.gptr
            for i in 0..<n { dx[i] += s * dy[i] }
        }
        return y
    }
}
