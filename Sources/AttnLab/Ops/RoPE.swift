extension Graph {
    /// Rotary position embedding on the slice [start, start + width) of the last axis of
    /// x [..., T, D]; the rest of the vector passes through. Position of row t is offset + t.
    /// `style` picks which components form a rotated pair (see `RopeStyle`). A zero-width slice
    /// rotates nothing and returns `x` itself (MLA/GLA with qk_rope_head_dim 0).
    public func rope(
        _ x: Tensor<T>, start: Int = 0, width: Int? = nil, positionOffset: Int = 0,
        base: Double, style: RopeStyle
    ) -> Tensor<T> {
        precondition(x.rank >= 2, "rope needs [..., T, D], got \(x.shape)")
        let d = x.lastDim, t = x.shape[x.rank - 2]
        let w = width ?? (d - start)
        precondition(w >= 0 && w % 2 == 0 && start >= 0 && start + w <= d,
                     "rope: slice [\(start), \(start + w)) must be an even-width part of the last axis \(d)")
        if w == 0 { return x }
        let half = w / 2
        let table = ropeTable(positions: t, offset: positionOffset, half: half, base: base)
        let cosp = table.pointer, sinp = table.pointer + t * half
        let grad = needsGrad(x)
        let y = output(x.shape, grad: grad)
        let blocks = x.count / (t * d)
        let xp = x.ptr, yp = y.ptr
        y.ptr.update(from: x.ptr, count: x.count)
        // Index pairs: half style (i, i + w/2); interleaved (2i, 2i + 1).
        let halfStyle = style == .half
        Parallel.forRanges(blocks, grain: Parallel.grain(elementsPerItem: t * d)) { range in
        for blk in range { for ti in 0..<t {
            let row = (blk * t + ti) * d + start
            let xr = xp + row, yr = yp + row
            let c = cosp + ti * half, s = sinp + ti * half
            if halfStyle {  // half style: two contiguous halves, a loop the compiler vectorises
                let x1r = xr + half, y1r = yr + half
                for i in 0..<half {
                    let x0 = xr[i], x1 = x1r[i]
                    yr[i] = x0 * c[i] - x1 * s[i]
                    y1r[i] = x0 * s[i] + x1 * c[i]
                }
            } else {
                for i in 0..<half {
                    let a = 2 * i, b = a + 1
                    let x0 = xr[a], x1 = xr[b]
                    yr[a] = x0 * c[i] - x1 * s[i]
                    yr[b] = x0 * s[i] + x1 * c[i]
                }
            }
        } }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dx = x.gptr, dy = y.gptr, assign = x.grad!.claimFirstWrite()
            // The rotation is orthogonal: its transpose rotates back.
            Parallel.forRanges(blocks, grain: Parallel.grain(elementsPerItem: t * d)) { range in
            for blk in range { for ti in 0..<t {
                let base = (blk * t + ti) * d
                let gx = dx + base, gy = dy + base
                for j in 0..<start { gx[j] = gradientSum(gx[j], gy[j], assign: assign) }
                for j in (start + w)..<d { gx[j] = gradientSum(gx[j], gy[j], assign: assign) }
                let gxs = gx + start, gys = gy + start
                let c = cosp + ti * half, s = sinp + ti * half
                if halfStyle {
                    let gx1 = gxs + half, gy1 = gys + half
                    for i in 0..<half {
                        let g0 = gys[i], g1 = gy1[i]
                        gxs[i] = gradientSum(gxs[i], g0 * c[i] + g1 * s[i], assign: assign)
                        gx1[i] = gradientSum(gx1[i], -g0 * s[i] + g1 * c[i], assign: assign)
                    }
                } else {
                    for i in 0..<half {
                        let a = 2 * i, b = a + 1
                        let g0 = gys[a], g1 = gys[b]
                        gxs[a] = gradientSum(gxs[a], g0 * c[i] + g1 * s[i], assign: assign)
                        gxs[b] = gradientSum(gxs[b], -g0 * s[i] + g1 * c[i], assign: assign)
                    }
                }
            } }
            }
        }
        return y
    }

    /// cos then sin of (offset + t) · base^(−2i/w), t < positions, i < half; computed in Double.
    private func ropeTable(positions: Int, offset: Int, half: Int, base: Double) -> Buffer<T> {
        let table = scratch(2 * positions * half)
        let p = table.pointer
        for i in 0..<half {
            let freq = Double.power(base, -Double(2 * i) / Double(2 * half))
            for t in 0..<positions {
                let angle = Double(offset + t) * freq
                p[t * half + i] = T(Double.cosine(angle))
                p[positions * half + t * half + i] = T(Double.sine(angle))
            }
        }
        return table
    }
}
