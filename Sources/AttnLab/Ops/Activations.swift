/// Elements per block of the sigmoid ops: each block's σ goes through a stack buffer this long.
private let sigmoidBlock = 512

/// Calls `body(block, s)` for consecutive blocks of `range`, with s[i − block.lowerBound] =
/// σ(x[i]) = 1 / (1 + e^(−x[i])); the exponentials are one vectorised call per block
/// (`Scalar.exponentials`).
@inline(__always)
private func forSigmoidBlocks<T: Scalar>(
    of x: UnsafePointer<T>, _ range: Range<Int>, _ body: (Range<Int>, UnsafeMutablePointer<T>) -> Void
) {
    withUnsafeTemporaryAllocation(of: T.self, capacity: sigmoidBlock) { buffer in
        let s = buffer.baseAddress!
        var lo = range.lowerBound
        while lo < range.upperBound {
            let hi = min(lo + sigmoidBlock, range.upperBound), n = hi - lo
            let xb = x + lo
            for i in 0..<n { s[i] = -xb[i] }
            T.exponentials(s, minus: 0, into: s, count: n)
            for i in 0..<n { s[i] = 1 / (1 + s[i]) }
            body(lo..<hi, s)
            lo = hi
        }
    }
}

extension Graph {
    /// x · σ(x).
    public func silu(_ x: Tensor<T>) -> Tensor<T> {
        let grad = needsGrad(x)
        let y = output(x.shape, grad: grad)
        let n = x.count, xp = x.ptr, yp = y.ptr
        Parallel.forRanges(n) { r in
            forSigmoidBlocks(of: xp, r) { b, s in
                let xb = xp + b.lowerBound, yb = yp + b.lowerBound
                for i in 0..<b.count { yb[i] = xb[i] * s[i] }
            }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dx = x.gptr, dy = y.gptr, assign = x.grad!.claimFirstWrite()
            Parallel.forRanges(n) { r in
                forSigmoidBlocks(of: xp, r) { b, s in
                    let xb = xp + b.lowerBound, dxb = dx + b.lowerBound, dyb = dy + b.lowerBound
                    for i in 0..<b.count {
                        dxb[i] = gradientSum(dxb[i], dyb[i] * s[i] * (1 + xb[i] * (1 - s[i])), assign: assign)
                    }
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
        Parallel.forRanges(n) { r in
            forSigmoidBlocks(of: gp, r) { b, s in
                let gb = gp + b.lowerBound, ub = up_ + b.lowerBound, yb = yp + b.lowerBound
                for i in 0..<b.count { yb[i] = gb[i] * s[i] * ub[i] }
            }
        }
        guard grad else { return y }
        record(.normElementwise, output: y) {
            let dy = y.gptr
            let dg = gate.grad?.pointer, du = up.grad?.pointer
            // gate and up may be one tensor (swiglu(x, x)): its gradient is then assigned by the
            // up term, which comes first, and the gate term adds.
            let assignU = up.grad?.claimFirstWrite() ?? false, assignG = gate.grad?.claimFirstWrite() ?? false
            Parallel.forRanges(n) { r in
                forSigmoidBlocks(of: gp, r) { b, s in
                    let o = b.lowerBound, gb = gp + o, ub = up_ + o, dyb = dy + o
                    if let du, let dg {  // the usual case: one pass for both
                        let dub = du + o, dgb = dg + o
                        for i in 0..<b.count {
                            dub[i] = gradientSum(dub[i], dyb[i] * gb[i] * s[i], assign: assignU)
                            dgb[i] = gradientSum(dgb[i], dyb[i] * ub[i] * s[i] * (1 + gb[i] * (1 - s[i])), assign: assignG)
                        }
                    } else if let du {
                        let dub = du + o
                        for i in 0..<b.count { dub[i] = gradientSum(dub[i], dyb[i] * gb[i] * s[i], assign: assignU) }
                    } else if let dg {
                        let dgb = dg + o
                        for i in 0..<b.count {
                            dgb[i] = gradientSum(dgb[i], dyb[i] * ub[i] * s[i] * (1 + gb[i] * (1 - s[i])), assign: assignG)
                        }
                    }
                }
            }
        }
        return y
    }
}
