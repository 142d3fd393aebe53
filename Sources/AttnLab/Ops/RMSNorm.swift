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
        for r in 0..<rows {
            let xr = xp + r * d, yr = yp + r * d
            var ss: T = 0
            for j in 0..<d { ss += xr[j] * xr[j] }
            let ir = 1 / T.squareRoot(ss / T(d) + eps)
            if grad { inv.pointer[r] = ir }
            for j in 0..<d { yr[j] = xr[j] * ir * wp[j] }
        }
        guard grad else { return y }
        record {
            let dy = y.gptr
            for r in 0..<rows {
                let xr = xp + r * d, gr = dy + r * d, ir = inv.pointer[r]
                if let gw = weight.grad {
                    let dw = gw.pointer
                    for j in 0..<d { dw[j] += gr[j] * xr[j] * ir }
                }
                if let gx = x.grad {
                    // dx = ir · (g⊙w − x̂ · mean(g⊙w⊙x̂)), x̂ = x · ir
                    var dot: T = 0
                    for j in 0..<d { dot += gr[j] * wp[j] * xr[j] }
                    let c = dot * ir * ir / T(d)
                    let dx = gx.pointer + r * d
                    for j in 0..<d { dx[j] += ir * (gr[j] * wp[j] - xr[j] * c) }
                }
            }
        }
        return y
    }
}
