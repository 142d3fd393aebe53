extension Graph {
    /// y = x / sqrt(mean(x²) + eps) ⊙ weight over the last axis.
    public func rmsNorm(_ x: Tensor<T>, weight: Tensor<T>, eps: T) -> Tensor<T> {
        let d = x.lastDim, rows = x.rows
        precondition(weight.shape == [d], "rmsNorm: weight \(weight.shape) does not match last axis of \(x.shape)")
        let grad = needsGrad(x, weight)
        let y = output(x.shape, grad: grad)
        // 1/rms per row, kept for the backward.
        let inv = grad ? scratch(rows) : scratch(0)
        let xp = x.ptr, wp = weight.ptr, yp = y.ptr
        let invp = inv.pointer
        Parallel.forRanges(rows, grain: Parallel.grain(elementsPerItem: d)) { range in
            for r in range {
                let xr = xp + r * d, yr = yp + r * d
                let ir = 1 / T.squareRoot(BlockedSum.dot(xr, xr, count: d) / T(d) + eps)
                if grad { invp[r] = ir }
                for j in 0..<d { yr[j] = xr[j] * ir * wp[j] }
            }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dy = y.gptr
            if let gx = x.grad {
                let dxp = gx.pointer, assign = gx.claimFirstWrite()
                Parallel.forRanges(rows, grain: Parallel.grain(elementsPerItem: d)) { range in
                    for r in range {
                        // dx = ir · (g⊙w − x̂ · mean(g⊙w⊙x̂)), x̂ = x · ir
                        let xr = xp + r * d, gr = dy + r * d, ir = invp[r]
                        let c = BlockedSum.dot(gr, wp, xr, count: d) * ir * ir / T(d)
                        let dx = dxp + r * d
                        for j in 0..<d { dx[j] = gradientSum(dx[j], ir * (gr[j] * wp[j] - xr[j] * c), assign: assign) }
                    }
                }
            }
            // The weight gradient sums over rows in row order; the workers split the columns,
            // so the order does not depend on the thread count.
            if let gw = weight.grad {
                let dw = gw.pointer, assign = gw.claimFirstWrite(writesAll: rows > 0)
                Parallel.forRanges(d, grain: Parallel.grain(elementsPerItem: rows)) { cols in
                    let (c0, width) = (cols.lowerBound, cols.count)
                    for r in 0..<rows {
                        let xr = xp + r * d + c0, gr = dy + r * d + c0, ir = invp[r], dwc = dw + c0
                        let first = assign && r == 0
                        for j in 0..<width { dwc[j] = gradientSum(dwc[j], gr[j] * xr[j] * ir, assign: first) }
                    }
                }
            }
        }
        return y
    }
}
