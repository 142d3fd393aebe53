extension Graph {
    /// A view with a new shape over the same data and gradient; no copy, no backward needed.
    public func reshape(_ x: Tensor<T>, _ shape: [Int]) -> Tensor<T> {
        precondition(shape.reduce(1, *) == x.count, "reshape: \(x.shape) has \(x.count) elements, \(shape) needs \(shape.reduce(1, *))")
        return Tensor(shape: shape, data: x.data, grad: x.grad)
    }

    /// Splits the last axis into consecutive pieces of the given widths; a zero width gives an
    /// empty piece (MLA/GLA with qk_rope_head_dim or qk_nope_head_dim 0).
    public func split(_ x: Tensor<T>, _ widths: [Int]) -> [Tensor<T>] {
        let d = x.lastDim, rows = x.rows
        precondition(widths.reduce(0, +) == d && widths.allSatisfy { $0 >= 0 },
                     "split: widths \(widths) do not partition last axis of \(x.shape)")
        let grad = needsGrad(x)
        var outs: [Tensor<T>] = []
        var offset = 0
        for w in widths {
            let y = output(Array(x.shape.dropLast()) + [w], grad: grad)
            let xp = x.ptr + offset, yp = y.ptr
            for r in 0..<rows { (yp + r * w).update(from: xp + r * d, count: w) }
            if grad {
                let off = offset
                record(.normElementwise, output: y) {
                    // Each output adds into its own columns of x's gradient, so it is zero-filled first.
                    x.grad!.materialize()
                    let dx = x.gptr + off, dy = y.gptr
                    for r in 0..<rows {
                        let a = dx + r * d, b = dy + r * w
                        for j in 0..<w { a[j] += b[j] }
                    }
                }
            }
            outs.append(y)
            offset += w
        }
        return outs
    }

    /// Concatenates along the last axis; leading axes must match.
    public func concat(_ xs: [Tensor<T>]) -> Tensor<T> {
        precondition(!xs.isEmpty, "concat of nothing")
        let lead = Array(xs[0].shape.dropLast())
        for x in xs { precondition(Array(x.shape.dropLast()) == lead, "concat: leading axes differ: \(xs.map(\.shape))") }
        let d = xs.reduce(0) { $0 + $1.lastDim }, rows = xs[0].rows
        let grad = recording && xs.contains { $0.requiresGrad }
        let y = output(lead + [d], grad: grad)
        var offset = 0
        for x in xs {
            let w = x.lastDim, xp = x.ptr, yp = y.ptr + offset
            for r in 0..<rows { (yp + r * d).update(from: xp + r * w, count: w) }
            if grad && x.requiresGrad {
                let off = offset
                record(.normElementwise, output: y) {
                    let dx = x.gptr, dy = y.gptr + off, assign = x.grad!.claimFirstWrite()
                    for r in 0..<rows {
                        let a = dx + r * w, b = dy + r * d
                        for j in 0..<w { a[j] = gradientSum(a[j], b[j], assign: assign) }
                    }
                }
            }
            offset += w
        }
        return y
    }

    /// (B, T, H·D) → (B, H, T, D).
    public func splitHeads(_ x: Tensor<T>, heads: Int) -> Tensor<T> {
        precondition(x.rank == 3 && x.shape[2] % heads == 0, "splitHeads: \(x.shape) is not (B, T, \(heads)·D)")
        let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2] / heads)
        return permuteHeads(x, to: [b, heads, t, d], b: b, t: t, h: heads, d: d, toHeadMajor: true)
    }

    /// (B, H, T, D) → (B, T, H·D).
    public func mergeHeads(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.rank == 4, "mergeHeads: \(x.shape) is not (B, H, T, D)")
        let (b, h, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return permuteHeads(x, to: [b, t, h * d], b: b, t: t, h: h, d: d, toHeadMajor: false)
    }

    /// Swaps the T and H axes of a (B, T, H, D) / (B, H, T, D) layout, copying D-wide rows.
    private func permuteHeads(_ x: Tensor<T>, to shape: [Int], b: Int, t: Int, h: Int, d: Int, toHeadMajor: Bool) -> Tensor<T> {
        let grad = needsGrad(x)
        let y = output(shape, grad: grad)
        // Offset of row (bi, ti, hi) in token-major (B,T,H,D) and head-major (B,H,T,D) layouts.
        @inline(__always) func tokenMajor(_ bi: Int, _ ti: Int, _ hi: Int) -> Int { ((bi * t + ti) * h + hi) * d }
        @inline(__always) func headMajor(_ bi: Int, _ ti: Int, _ hi: Int) -> Int { ((bi * h + hi) * t + ti) * d }
        // Visits every D-wide row as (source offset, destination offset), split over cores by (b, h).
        func eachRow(_ body: (_ from: Int, _ to: Int) -> Void) {
            Parallel.forRanges(b * h, grain: Parallel.grain(elementsPerItem: t * d)) { range in
                for bh in range { for ti in 0..<t {
                    let (bi, hi) = (bh / h, bh % h)
                    toHeadMajor ? body(tokenMajor(bi, ti, hi), headMajor(bi, ti, hi))
                                : body(headMajor(bi, ti, hi), tokenMajor(bi, ti, hi))
                } }
            }
        }
        let src = x.ptr, dst = y.ptr
        // An element loop, not `update(from:count:)`: a memmove call per D-wide row (D = 16 at
        // the ablation shape) costs more than the copy.
        eachRow { from, to in
            let a = src + from, c = dst + to
            for j in 0..<d { c[j] = a[j] }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dx = x.gptr, dy = y.gptr, assign = x.grad!.claimFirstWrite()
            eachRow { from, to in
                let a = dx + from, c = dy + to
                for j in 0..<d { a[j] = gradientSum(a[j], c[j], assign: assign) }
            }
        }
        return y
    }

    /// (B, 1, T, D) → (B, H, T, D): one head shared by all heads (MLA's decoupled RoPE key).
    /// The backward sums the heads' gradients.
    public func broadcastHeads(_ x: Tensor<T>, heads: Int) -> Tensor<T> {
        precondition(x.rank == 4 && x.shape[1] == 1, "broadcastHeads: \(x.shape) is not (B, 1, T, D)")
        let (b, td) = (x.shape[0], x.shape[2] * x.shape[3])
        let grad = needsGrad(x)
        let y = output([b, heads, x.shape[2], x.shape[3]], grad: grad)
        for bi in 0..<b { for hi in 0..<heads {
            (y.ptr + (bi * heads + hi) * td).update(from: x.ptr + bi * td, count: td)
        } }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            // Head 0 of each batch row writes all of that row's gradient (when there are heads).
            let assign = x.grad!.claimFirstWrite(writesAll: heads > 0)
            for bi in 0..<b { for hi in 0..<heads {
                let a = x.gptr + bi * td, c = y.gptr + (bi * heads + hi) * td, first = assign && hi == 0
                for j in 0..<td { a[j] = gradientSum(a[j], c[j], assign: first) }
            } }
        }
        return y
    }
}
