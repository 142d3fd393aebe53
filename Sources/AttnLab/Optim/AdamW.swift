/// AdamW (Loshchilov & Hutter): Adam moments with bias correction and weight decay applied
/// directly to the weights, not through the gradient. By default rank-1 parameters (norm gains;
/// AttnLab has no biases) are not decayed.
public final class AdamW<T: Scalar> {
    public struct Settings: Sendable, Equatable {
        public var beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weightDecay = 0.1
        public var decayNormsAndBiases = false
        public init() {}
    }

    public let parameters: [Tensor<T>]
    public let settings: Settings
    /// First and second moments, one buffer per parameter, in parameter order.
    public let m: [Buffer<T>], v: [Buffer<T>]
    /// Number of updates applied so far (bias correction uses it; checkpoints store it).
    public var step = 0

    public init(_ parameters: [Tensor<T>], settings: Settings) {
        self.parameters = parameters
        self.settings = settings
        m = parameters.map { let b = Buffer<T>(count: $0.count); b.zero(); return b }
        v = parameters.map { let b = Buffer<T>(count: $0.count); b.zero(); return b }
    }

    public func decays(_ p: Tensor<T>) -> Bool { settings.decayNormsAndBiases || p.rank >= 2 }

    /// One update with learning rate `lr` from the gradients currently in the parameters.
    public func update(lr: Double) {
        step += 1
        let s = settings
        let b1 = T(s.beta1), b2 = T(s.beta2), eps = T(s.eps)
        let c1 = T(1 - Double.power(s.beta1, Double(step))), c2 = T(1 - Double.power(s.beta2, Double(step)))
        let lrT = T(lr)
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let w = p.ptr, g = grad.pointer, mp = m[i].pointer, vp = v[i].pointer
            let shrink = decays(p) ? 1 - lrT * T(s.weightDecay) : 1
            Parallel.forRanges(p.count) { r in
                for j in r {
                    let gj = g[j]
                    mp[j] = b1 * mp[j] + (1 - b1) * gj
                    vp[j] = b2 * vp[j] + (1 - b2) * gj * gj
                    let mHat = mp[j] / c1, vHat = vp[j] / c2
                    w[j] = w[j] * shrink - lrT * mHat / (T.squareRoot(vHat) + eps)
                }
            }
        }
    }
}

/// Global L2 norm of all gradients, accumulated in Double.
public func gradientNorm<T: Scalar>(_ parameters: [Tensor<T>]) -> Double {
    var ss = 0.0
    for p in parameters {
        guard let g = p.grad?.pointer else { continue }
        ss += Double(BlockedSum.dot(g, g, count: p.count))
    }
    return ss.squareRoot()
}

/// Multiplies every gradient by `factor` (gradient accumulation averaging, clipping).
public func scaleGradients<T: Scalar>(_ parameters: [Tensor<T>], by factor: Double) {
    let f = T(factor)
    for p in parameters {
        guard let g = p.grad?.pointer else { continue }
        for j in 0..<p.count { g[j] *= f }
    }
}

/// Clips the global gradient norm to `maxNorm` (0 disables) and returns the norm before clipping.
@discardableResult
public func clipGradients<T: Scalar>(_ parameters: [Tensor<T>], maxNorm: Double) -> Double {
    let norm = gradientNorm(parameters)
    if maxNorm > 0 && norm > maxNorm { scaleGradients(parameters, by: maxNorm / (norm + 1e-6)) }
    return norm
}
