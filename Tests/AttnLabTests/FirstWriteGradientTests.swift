import AttnLab
import Testing

/// Gradient buffers of op outputs are lent without zero-filling (`Buffer.zeroPending`): the first
/// backward to reach one assigns (`Buffer.claimFirstWrite`) or zero-fills it (`materialize`).
/// These tests send gradients through every op into intermediates that are used once, several
/// times, by both operands of one op, partly (split, row broadcasts, scatters, ignored
/// cross-entropy rows) or by no op at all, and check them against finite differences and
/// against a pool whose every buffer holds NaN from an earlier step: any element that is read
/// before it is written would then show as NaN or as a different bit pattern.
@Suite struct FirstWriteGradientTests {
    struct Inputs<T: Scalar> {
        let x: Tensor<T>, w: Tensor<T>, normWeight: Tensor<T>, table: Tensor<T>, bias: Tensor<T>
        var all: [Tensor<T>] { [x, w, normWeight, table, bias] }

        init(seed: UInt64) {
            var rng = TestRNG(seed)
            func make(_ shape: [Int], scale: Double = 1) -> Tensor<T> {
                let t = rng.tensor(shape, scale: scale)
                return Tensor(shape: shape, values: t.array.map { T($0) }, requiresGrad: true)
            }
            x = make([2, 4, 8]); w = make([8, 8], scale: 0.5); normWeight = make([8])
            table = make([5, 8]); bias = make([8])
        }
    }

    /// A scalar loss whose gradient reaches every op and every kind of use listed above.
    static func loss<T: Scalar>(_ g: Graph<T>, _ p: Inputs<T>) -> Tensor<T> {
        let emb = g.embedding(p.table, ids: [0, 3, 3, 1, 4, 0, 2, 3], shape: [2, 4])  // scatter
        let h = g.add(g.matmul(g.scale(p.x, 1), p.w), emb)  // an intermediate operand of a matmul
        let normed = g.rmsNorm(h, weight: p.normWeight, eps: 1e-5)
        let parts = g.split(normed, [4, 4])
        _ = g.scale(parts[1], 2)  // recorded, never used: its gradient is never written
        let doubled = g.concat([parts[0], parts[0]])  // one tensor twice in a concat
        let gated = g.swiglu(gate: doubled, up: doubled)  // one tensor as gate and up
        let summed = g.add(gated, gated)  // one tensor as both operands
        let shifted = g.sub(g.mul(summed, p.bias), g.scale(p.bias, 0.5))  // an intermediate row broadcast
        let heads = g.splitHeads(shifted, heads: 2)  // [2, 2, 4, 4]
        let q = g.rope(heads, base: 10_000, style: .half)
        let kOne = g.reshape(g.silu(g.split(h, [4, 4])[0]), [2, 1, 4, 4])
        let k = g.broadcastHeads(kOne, heads: 2)
        let v = g.rope(heads, start: 0, width: 2, base: 10_000, style: .interleaved)
        let attended = g.causalAttention(q, k, v, scale: 0.5)
        let scores = g.matmul(attended, attended, transB: true)  // batched, one tensor on both sides
        let merged = g.mergeHeads(g.add(attended, g.matmul(scores, attended)))
        let logits = g.matmul(merged, g.scale(p.w, 1), transB: true)  // a shared intermediate weight
        let allRows = g.crossEntropy(logits, targets: [1, 2, 3, 4, 5, 6, 7, 0])
        let someRows = g.crossEntropy(logits, targets: [1, ignoreIndex, 2, 3, 0, 5, ignoreIndex, 7])
        let firstIgnored = g.crossEntropy(g.scale(logits, 1), targets: [ignoreIndex, 1, 2, 3, 4, 5, 6, 7])
        let sums = g.add(g.add(allRows, someRows), g.add(firstIgnored, g.mean(g.mul(h, h))))
        return g.add(sums, g.sum(g.scale(g.reshape(scores, [64]), 1e-3)))
    }

    @Test func gradientsMatchFiniteDifferences() {
        let p = Inputs<Double>(seed: 41)
        #expect(maxGradError(p.all) { g in Self.loss(g, p) } <= 1e-6)
    }

    /// Gradients from a graph whose pool was filled with NaN by an earlier step equal, bit for
    /// bit, those from a fresh graph.
    func poisonedPoolGivesFreshGradients<T: Scalar>(_: T.Type) {
        let p = Inputs<T>(seed: 42)
        let graph = Graph<T>()
        let clean = p.x.array
        for i in 0..<p.x.count { p.x[flat: i] = .nan }
        for t in p.all { t.enableGrad() }
        graph.backward(Self.loss(graph, p))
        #expect(p.w.gradArray!.contains { $0.isNaN }, "the poisoning step did not spread NaN")
        for i in 0..<p.x.count { p.x[flat: i] = clean[i] }
        graph.reset()

        for t in p.all { t.enableGrad() }
        graph.backward(Self.loss(graph, p))
        let reused = p.all.map { $0.gradArray! }

        for t in p.all { t.enableGrad() }
        let fresh = Graph<T>()
        fresh.backward(Self.loss(fresh, p))
        for (t, r) in zip(p.all, reused) {
            let f = t.gradArray!
            #expect(!r.contains { $0.isNaN }, "NaN from the pool in a gradient of shape \(t.shape)")
            #expect(r.map { Double($0).bitPattern } == f.map { Double($0).bitPattern }, "gradient of shape \(t.shape) differs after reuse")
            #expect(f.contains { $0 != 0 })
        }
    }

    @Test func poisonedPoolDouble() { poisonedPoolGivesFreshGradients(Double.self) }
    @Test func poisonedPoolFloat() { poisonedPoolGivesFreshGradients(Float.self) }

    /// An op output's gradient is lent unfilled and becomes written by the first backward.
    @Test func outputGradientsAreLentUnfilled() {
        let g = Graph<Float>()
        let x = Tensor<Float>(shape: [4], values: [1, 2, 3, 4], requiresGrad: true)
        let y = g.scale(x, 2)
        #expect(y.grad!.zeroPending)
        #expect(!x.grad!.zeroPending)
        let z = g.scale(y, 3)
        g.backward(g.sum(z))
        #expect(!y.grad!.zeroPending && !z.grad!.zeroPending)
        #expect(y.gradArray == [3, 3, 3, 3] && x.gradArray == [6, 6, 6, 6])
    }
}
