@inline(__always)
private func sigmoid<T: Scalar>(_ x: T) -> T { 1 / (1 + T.expo(-x)) }

extension Graph {
    /// x · σ(x).
    public func silu(_ x: Tensor<T>) -> Tensor<T> {
        let grad = needsGrad(x)
        let y = output(x.shape, grad: grad)
        let n = x.count, xp = x.ptr, yp = y.ptr
        Parallel.forRanges(n) { r in for i in r { yp[i] = xp[i] * sigmoid(xp[i]) } }
        guard grad else { return y }
        record(.normElementwise) {
            let dx = x.gptr, dy = y.gptr
            Parallel.forRanges(n) { r in
                for i in r {
                    let s = sigmoid(xp[i])
                    dx[i] += dy[i] * s * (1 + xp[i] * (1 - s))
                }
            }
        }
        return y
    }

    /// SwiGLU's gate: silu(gate) ⊙ up, fused so the MLP needs one pass and one buffer.
    public func swiglu(gate: Tensor<T>, up: Tensor<T>) -> Tensor<T> {
        precondition(gate.shape == up.shape, "swiglu: gate \(gate.shape) and up \(up.shape) differ")
        let grad = needsGrad(gate, up)
        let y = output(gate.shape, grad: grad)
        let n = gate.count, gp = gate.ptr, up_ = up.ptr, yp = y.ptr
        Parallel.forRanges(n) { r in for i in r { yp[i] = gp[i] * sigmoid(gp[i]) * up_[i] } }
        guard grad else { return y }
        record(.normElementwise) {
            let dy = y.gptr
            let dg = gate.grad?.pointer, du = up.grad?.pointer
            Parallel.forRanges(n) { r in
                for i in r {
                    let g = gp[i], s = sigmoid(g)
                    if let du { du[i] += dy[i] * g * s }
                    if let dg { dg[i] += dy[i] * up_[i] * s * (1 + g * (1 - s)) }
                }
            }
        }
        return y
    }
}
