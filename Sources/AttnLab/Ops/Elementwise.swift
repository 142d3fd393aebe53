/// Visits `0..<n` split over the workers as runs `body(i, j, length)` in which a[i + k] pairs
/// with b[j + k] for k < length (b repeats every `nb` elements); element-wise work only.
@inline(__always)
private func forBroadcastRuns(_ n: Int, _ nb: Int, _ body: (_ i: Int, _ j: Int, _ length: Int) -> Void) {
    Parallel.forRanges(n) { r in
        var i = r.lowerBound
        while i < r.upperBound {
            let j = i % nb, length = min(nb - j, r.upperBound - i)
            body(i, j, length)
            i += length
        }
    }
}

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
        forBroadcastRuns(n, nb) { i, j, length in
            let ar = ap + i, br = bp + j, yr = yp + i
            for k in 0..<length { yr[k] = ar[k] + sign * br[k] }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dy = y.gptr
            if let ga = a.grad {
                let da = ga.pointer, assign = ga.claimFirstWrite()
                Parallel.forRanges(n) { r in for i in r { da[i] = gradientSum(da[i], dy[i], assign: assign) } }
            }
            // The first repeat of b writes all of b's gradient (when there is one).
            if let gb = b.grad {
                let db = gb.pointer, assign = gb.claimFirstWrite(writesAll: n > 0)
                var base = 0
                while base < n {
                    let dyr = dy + base, first = assign && base == 0
                    for j in 0..<nb { db[j] = gradientSum(db[j], sign * dyr[j], assign: first) }
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
        forBroadcastRuns(n, nb) { i, j, length in
            let ar = ap + i, br = bp + j, yr = yp + i
            for k in 0..<length { yr[k] = ar[k] * br[k] }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dy = y.gptr
            if let ga = a.grad {
                let da = ga.pointer, assign = ga.claimFirstWrite()
                forBroadcastRuns(n, nb) { i, j, length in
                    let dar = da + i, dyr = dy + i, br = bp + j
                    for k in 0..<length { dar[k] = gradientSum(dar[k], dyr[k] * br[k], assign: assign) }
                }
            }
            // b's gradient sums over the repeats, serially so its order is fixed.
            if let gb = b.grad {
                let db = gb.pointer, assign = gb.claimFirstWrite(writesAll: n > 0)
                var base = 0
                while base < n {
                    let dyr = dy + base, ar = ap + base, first = assign && base == 0
                    for j in 0..<nb { db[j] = gradientSum(db[j], dyr[j] * ar[j], assign: first) }
                    base += nb
                }
            }
        }
        return y
    }

    /// s · x for a constant s.
    public func scale(_ x: Tensor<T>, _ s: T) -> Tensor<T> {
        let grad = needsGrad(x)
        let y = output(x.shape, grad: grad)
        let n = x.count, xp = x.ptr, yp = y.ptr
        Parallel.forRanges(n) { r in for i in r { yp[i] = s * xp[i] } }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dy = y.gptr, dx = x.gptr, assign = x.grad!.claimFirstWrite()
            Parallel.forRanges(n) { r in for i in r { dx[i] = gradientSum(dx[i], s * dy[i], assign: assign) } }
        }
        return y
    }
}
