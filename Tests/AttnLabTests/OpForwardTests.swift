import AttnLab
import Foundation
import Testing

/// Forward values checked against formulas evaluated here, independently of the ops' code.
@Suite struct OpForwardTests {
    let g = Graph<Double>(recording: false)

    @Test func rmsNormMatchesFormula() {
        var rng = TestRNG(20)
        let x = rng.tensor([3, 6], grad: false), w = rng.tensor([6], grad: false)
        let y = g.rmsNorm(x, weight: w, eps: 1e-6)
        for r in 0..<3 {
            let row = (0..<6).map { x[flat: r * 6 + $0] }
            let rms = sqrt(row.map { $0 * $0 }.reduce(0, +) / 6 + 1e-6)
            for j in 0..<6 { #expect(abs(y[flat: r * 6 + j] - row[j] / rms * w[flat: j]) < 1e-12) }
        }
    }

    @Test func swigluMatchesFormula() {
        var rng = TestRNG(21)
        let a = rng.tensor([4, 3], grad: false, scale: 4), b = rng.tensor([4, 3], grad: false)
        let y = g.swiglu(gate: a, up: b)
        for i in 0..<12 {
            let x = a[flat: i]
            #expect(abs(y[flat: i] - x / (1 + exp(-x)) * b[flat: i]) < 1e-12)
        }
    }

    @Test func crossEntropyMatchesLogSoftmax() {
        var rng = TestRNG(22)
        let logits = rng.tensor([3, 5], grad: false, scale: 3)
        let targets: [Int32] = [4, ignoreIndex, 0]
        let loss = g.crossEntropy(logits, targets: targets)[flat: 0]
        var expected = 0.0
        for r in [0, 2] {
            let row = (0..<5).map { logits[flat: r * 5 + $0] }
            let p = exp(row[Int(targets[r])]) / row.map { exp($0) }.reduce(0, +)
            expected += -log(p)
        }
        #expect(abs(loss - expected / 2) < 1e-12)
        #expect(g.crossEntropy(logits, targets: [ignoreIndex, ignoreIndex, ignoreIndex])[flat: 0] == 0)
    }

    /// Interleaved RoPE is multiplication of (x[2i] + i·x[2i+1]) by e^{i·pos·θ_i}.
    @Test func interleavedRopeIsComplexRotation() {
        var rng = TestRNG(23)
        let (t, d, base, offset) = (4, 6, 50.0, 2)
        let x = rng.tensor([1, t, d], grad: false)
        let y = g.rope(x, positionOffset: offset, base: base, style: .interleaved)
        for ti in 0..<t { for i in 0..<(d / 2) {
            let theta = Double(offset + ti) * pow(base, -Double(2 * i) / Double(d))
            let (re, im) = (x[flat: ti * d + 2 * i], x[flat: ti * d + 2 * i + 1])
            #expect(abs(y[flat: ti * d + 2 * i] - (re * cos(theta) - im * sin(theta))) < 1e-12)
            #expect(abs(y[flat: ti * d + 2 * i + 1] - (re * sin(theta) + im * cos(theta))) < 1e-12)
        } }
    }

    /// Half-split RoPE pairs x[i] with x[i + d/2]; it equals the interleaved form on a permuted vector.
    @Test func halfSplitRopeIsPermutedInterleaved() {
        var rng = TestRNG(24)
        let (t, d) = (3, 8)
        let x = rng.tensor([1, t, d], grad: false)
        let perm = (0..<d).map { j in j % 2 == 0 ? j / 2 : d / 2 + j / 2 }  // interleaved slot -> half slot
        let xi = Tensor<Double>(zeros: [1, t, d])
        for ti in 0..<t { for j in 0..<d { xi[flat: ti * d + j] = x[flat: ti * d + perm[j]] } }
        let yh = g.rope(x, positionOffset: 1, base: 10000, style: .half)
        let yi = g.rope(xi, positionOffset: 1, base: 10000, style: .interleaved)
        for ti in 0..<t { for j in 0..<d { #expect(abs(yi[flat: ti * d + j] - yh[flat: ti * d + perm[j]]) < 1e-12) } }
    }

    /// The property RoPE exists for: q·k after rotation depends only on the position difference,
    /// and only the rotated slice changes.
    @Test(arguments: RopeStyle.allCases)
    func ropeScoresDependOnRelativePosition(style: RopeStyle) {
        var rng = TestRNG(25)
        let q = rng.tensor([1, 1, 8], grad: false), k = rng.tensor([1, 1, 8], grad: false)
        func score(_ m: Int, _ n: Int) -> Double {
            let a = g.rope(q, start: 2, width: 6, positionOffset: m, base: 100, style: style)
            let b = g.rope(k, start: 2, width: 6, positionOffset: n, base: 100, style: style)
            #expect(a[flat: 0] == q[flat: 0] && a[flat: 1] == q[flat: 1])
            return (0..<8).map { a[flat: $0] * b[flat: $0] }.reduce(0, +)
        }
        #expect(abs(score(5, 2) - score(13, 10)) < 1e-12)
        #expect(abs(score(0, 0) - (0..<8).map { q[flat: $0] * k[flat: $0] }.reduce(0, +)) < 1e-12)
    }

    @Test func splitHeadsLayout() {
        let x = Tensor<Double>(shape: [1, 2, 4], values: [0, 1, 2, 3, 10, 11, 12, 13])
        let y = g.splitHeads(x, heads: 2)
        #expect(y.shape == [1, 2, 2, 2])
        #expect(y.array == [0, 1, 10, 11, 2, 3, 12, 13])
        #expect(g.mergeHeads(y).array == x.array)
    }

    @Test func unrecordedGraphAllocatesNoGradients() {
        let x = Tensor<Double>(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let y = g.silu(g.mul(x, x))
        #expect(y.grad == nil)
        #expect(g.tapeLength == 0)
    }
}
