import AttnLab
import Testing

/// Deterministic test data: a small xorshift generator so tests do not depend on the library's
/// own PRNG.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }
    mutating func tensor(_ shape: [Int], grad: Bool = true, scale: Double = 1) -> Tensor<Double> {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<n).map { _ in uniform() * scale }, requiresGrad: grad)
    }
}

extension Graph where T == Double {
    /// sum(x ⊙ w) for a fixed random `w`: turns any op output into a scalar whose gradient
    /// exercises every output element with a distinct weight. Written here, not in the library,
    /// so the check does not rely on the ops under test.
    func weightedSum(_ x: Tensor<Double>, seed: UInt64 = 99) -> Tensor<Double> {
        var rng = TestRNG(seed)
        let w = (0..<x.count).map { _ in rng.uniform() }
        let y = output([1], grad: needsGrad(x))
        var s = 0.0
        for i in 0..<x.count { s += x[flat: i] * w[i] }
        y[flat: 0] = s
        record(.normElementwise, output: y) {
            let dy = y.gptr[0]
            if let g = x.grad {
                g.materialize()
                for i in 0..<x.count { g.pointer[i] += dy * w[i] }
            }
        }
        return y
    }
}

/// Largest relative error between analytic and central-difference gradients of `loss` with
/// respect to every element of `inputs`. The denominator is floored at 1e-3 so that elements
/// whose true gradient is (near) zero are judged by absolute error.
func maxGradError(
    _ inputs: [Tensor<Double>], eps: Double = 1e-5,
    _ loss: (Graph<Double>) -> Tensor<Double>
) -> Double {
    for x in inputs { x.enableGrad() }
    let g = Graph<Double>()
    let l = loss(g)
    g.backward(l)
    let analytic = inputs.map { $0.gradArray! }
    var worst = 0.0
    for (xi, x) in inputs.enumerated() {
        for i in 0..<x.count {
            let orig = x[flat: i]
            x[flat: i] = orig + eps
            let plus = loss(Graph<Double>(recording: false))[flat: 0]
            x[flat: i] = orig - eps
            let minus = loss(Graph<Double>(recording: false))[flat: 0]
            x[flat: i] = orig
            let numeric = (plus - minus) / (2 * eps)
            let a = analytic[xi][i]
            let err = abs(a - numeric) / max(abs(a), abs(numeric), 1e-3)
            worst = max(worst, err)
        }
    }
    return worst
}
