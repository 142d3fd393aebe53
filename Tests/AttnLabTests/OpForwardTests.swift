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

    /// Naive latent decoding against its definition evaluated here: expand each cached latent
    /// to the head's key and value, causal softmax over the visible prefix, weighted values.
    /// Rows of the cache past `length` hold NaN, so reading them would show. The long context
    /// makes the heads of a latent head run in parallel (two or more cores), the short one serially.
    @Test(arguments: [(2, 7, 2), (2, 3000, 2), (0, 9, 3), (2, 45, 35)])
    func expandedLatentAttentionMatchesDefinition(dr: Int, length: Int, tn: Int) {
        var rng = TestRNG(31)
        let (b, h, groups, w, dn, dv, capacity) = (2, 4, 2, 3, 3, 2, length + 5)
        let per = h / groups, scale = 0.7
        let q = rng.tensor([b, h, tn, dn + dr], grad: false)
        let latents = rng.tensor([b, groups, capacity, w], grad: false)
        let ropeKeys = rng.tensor([b, 1, capacity, dr], grad: false)
        let up = rng.tensor([h * (dn + dv), w], grad: false)
        for bg in 0..<(b * groups) { for s in length..<capacity { for c in 0..<w { latents[flat: (bg * capacity + s) * w + c] = .nan } } }
        for bi in 0..<b { for s in length..<capacity { for c in 0..<dr { ropeKeys[flat: (bi * capacity + s) * dr + c] = .nan } } }
        let out = g.expandedLatentAttention(q: q, latents: latents, ropeKeys: ropeKeys, up: up, vHeadDim: dv, length: length, scale: scale)
        #expect(out.shape == [b, h, tn, dv])
        var worst = 0.0
        for bi in 0..<b { for head in 0..<h {
            let gi = head / per
            func latent(_ s: Int, _ c: Int) -> Double { latents[flat: ((bi * groups + gi) * capacity + s) * w + c] }
            func upRow(_ r: Int, _ c: Int) -> Double { up[flat: (head * (dn + dv) + r) * w + c] }
            for i in 0..<tn {
                let visible = length - tn + i + 1
                var scores = [Double](repeating: 0, count: visible)
                for s in 0..<visible {
                    var dot = 0.0
                    for r in 0..<dn {
                        let key = (0..<w).reduce(0.0) { $0 + upRow(r, $1) * latent(s, $1) }
                        dot += q[flat: ((bi * h + head) * tn + i) * (dn + dr) + r] * key
                    }
                    for r in 0..<dr { dot += q[flat: ((bi * h + head) * tn + i) * (dn + dr) + dn + r] * ropeKeys[flat: (bi * capacity + s) * dr + r] }
                    scores[s] = scale * dot
                }
                let peak = scores.max()!
                let e = scores.map { exp($0 - peak) }, total = e.reduce(0, +)
                for c in 0..<dv {
                    var value = 0.0
                    for s in 0..<visible { value += e[s] / total * (0..<w).reduce(0.0) { $0 + upRow(dn + c, $1) * latent(s, $1) } }
                    worst = max(worst, abs(out[flat: ((bi * h + head) * tn + i) * dv + c] - value))
                }
            }
        } }
        #expect(worst <= 1e-12)
    }

    /// Cached attention (MHA/GQA/MQA/GTA decoding) against its definition evaluated here. Cache
    /// rows past `length` hold NaN. Cases: one query row (matrix-vector path), a KV head shared by
    /// two heads with tied keys and values and a roped key (GTA), no key part at all (only the
    /// roped key), a context long enough for the (batch, KV head) pairs to run in parallel, and a
    /// prefill of more query rows than one score tile holds.
    @Test(arguments: [(4, 4, 1, 3, 0, 6, false), (4, 2, 2, 2, 2, 9, true), (2, 1, 3, 0, 2, 5, false), (4, 2, 1, 3, 2, 3000, true),
                      (2, 1, 20, 3, 2, 50, false)])
    func cachedAttentionMatchesDefinition(h: Int, groups: Int, tn: Int, dk: Int, dr: Int, length: Int, tied: Bool) {
        var rng = TestRNG(32)
        let (b, capacity, scale) = (2, length + 3, 0.6)
        let dv = tied ? dk + 1 : 3, wk = tied ? dv : dk + 1  // keys read only their first dk columns
        let q = rng.tensor([b, h, tn, dk + dr], grad: false)
        let keys = rng.tensor([b, groups, capacity, wk], grad: false)
        let values = tied ? keys : rng.tensor([b, groups, capacity, dv], grad: false)
        let ropeKeys = dr > 0 ? rng.tensor([b, 1, capacity, dr], grad: false) : nil
        for t in [keys, values] + (ropeKeys.map { [$0] } ?? []) {
            let rows = t.count / t.shape[3] / capacity, width = t.shape[3]
            for bg in 0..<rows { for s in length..<capacity { for c in 0..<width { t[flat: (bg * capacity + s) * width + c] = .nan } } }
        }
        let out = g.cachedAttention(q: q, keys: keys, keyWidth: dk, ropeKeys: ropeKeys, values: values, length: length, scale: scale)
        #expect(out.shape == [b, h, tn, dv])
        var worst = 0.0
        for bi in 0..<b { for head in 0..<h {
            let kv = bi * groups + head / (h / groups)
            for i in 0..<tn {
                let visible = length - tn + i + 1, qi = ((bi * h + head) * tn + i) * (dk + dr)
                let scores = (0..<visible).map { s in
                    scale * ((0..<dk).reduce(0.0) { $0 + q[flat: qi + $1] * keys[flat: (kv * capacity + s) * wk + $1] }
                        + (0..<dr).reduce(0.0) { $0 + q[flat: qi + dk + $1] * ropeKeys![flat: (bi * capacity + s) * dr + $1] })
                }
                let peak = scores.max()!
                let e = scores.map { exp($0 - peak) }, total = e.reduce(0, +)
                for c in 0..<dv {
                    let value = (0..<visible).reduce(0.0) { $0 + e[$1] / total * values[flat: (kv * capacity + $1) * dv + c] }
                    worst = max(worst, abs(out[flat: ((bi * h + head) * tn + i) * dv + c] - value))
                }
            }
        } }
        #expect(worst <= 1e-12)
    }

    /// Absorbed latent decoding against its definition: scores of the absorbed query against the
    /// cached latent plus the roped key, causal softmax, weighted latents. Cache rows past
    /// `length` hold NaN; the long context runs the (batch row, latent head) pairs in parallel.
    @Test(arguments: [(2, 8, 2), (0, 5, 3), (2, 3000, 1), (2, 40, 17)])
    func latentAttentionMatchesDefinition(dr: Int, length: Int, tn: Int) {
        var rng = TestRNG(33)
        let (b, h, groups, dc, capacity, scale) = (2, 4, 2, 3, length + 4, 0.8)
        let qLatent = rng.tensor([b, h, tn, dc], grad: false), qRope = rng.tensor([b, h, tn, dr], grad: false)
        let latents = rng.tensor([b, groups, capacity, dc], grad: false), ropeKeys = rng.tensor([b, 1, capacity, dr], grad: false)
        for bg in 0..<(b * groups) { for s in length..<capacity { for c in 0..<dc { latents[flat: (bg * capacity + s) * dc + c] = .nan } } }
        for bi in 0..<b { for s in length..<capacity { for c in 0..<dr { ropeKeys[flat: (bi * capacity + s) * dr + c] = .nan } } }
        let out = g.latentAttention(qLatent: qLatent, qRope: qRope, latents: latents, ropeKeys: ropeKeys, length: length, scale: scale)
        var worst = 0.0
        for bi in 0..<b { for head in 0..<h {
            let cache = (bi * groups + head / (h / groups)) * capacity
            for i in 0..<tn {
                let visible = length - tn + i + 1, row = (bi * h + head) * tn + i
                let scores = (0..<visible).map { s in
                    scale * ((0..<dc).reduce(0.0) { $0 + qLatent[flat: row * dc + $1] * latents[flat: (cache + s) * dc + $1] }
                        + (0..<dr).reduce(0.0) { $0 + qRope[flat: row * dr + $1] * ropeKeys[flat: (bi * capacity + s) * dr + $1] })
                }
                let peak = scores.max()!
                let e = scores.map { exp($0 - peak) }, total = e.reduce(0, +)
                for c in 0..<dc {
                    let value = (0..<visible).reduce(0.0) { $0 + e[$1] / total * latents[flat: (cache + $1) * dc + c] }
                    worst = max(worst, abs(out[flat: row * dc + c] - value))
                }
            }
        } }
        #expect(worst <= 1e-12)
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
