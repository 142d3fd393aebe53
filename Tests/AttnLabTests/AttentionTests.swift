@testable import AttnLab
import Foundation
import Testing

/// One attention call's sizes: batch, query heads, KV heads, queries, keys, key width, value width,
/// and the absolute position of the first query.
struct AttentionCase: CustomTestStringConvertible, Sendable {
    let name: String
    let b: Int, hq: Int, hkv: Int, tq: Int, tk: Int, dk: Int, dv: Int, offset: Int
    var testDescription: String { name }

    init(_ name: String, b: Int = 2, hq: Int, hkv: Int, tq: Int, tk: Int? = nil, dk: Int, dv: Int? = nil, offset: Int = 0) {
        self.name = name
        self.b = b; self.hq = hq; self.hkv = hkv; self.tq = tq; self.tk = tk ?? offset + tq
        self.dk = dk; self.dv = dv ?? dk; self.offset = offset
    }

    var scale: Double { 1 / Double(dk).squareRoot() }

    func inputs(seed: UInt64, grad: Bool) -> (Tensor<Double>, Tensor<Double>, Tensor<Double>) {
        var rng = TestRNG(seed)
        return (rng.tensor([b, hq, tq, dk], grad: grad, scale: 2),
                rng.tensor([b, hkv, tk, dk], grad: grad, scale: 2),
                rng.tensor([b, hkv, tk, dv], grad: grad))
    }

    /// Attention written out element by element, straight from the definition.
    func naive(_ q: Tensor<Double>, _ k: Tensor<Double>, _ v: Tensor<Double>) -> [Double] {
        var out = [Double](repeating: 0, count: b * hq * tq * dv)
        for bi in 0..<b { for h in 0..<hq {
            let kvh = h / (hq / hkv)
            for i in 0..<tq {
                let visible = offset + i + 1
                var scores = [Double](repeating: 0, count: visible)
                for j in 0..<visible {
                    var dot = 0.0
                    for c in 0..<dk {
                        dot += q[flat: ((bi * hq + h) * tq + i) * dk + c] * k[flat: ((bi * hkv + kvh) * tk + j) * dk + c]
                    }
                    scores[j] = dot * scale
                }
                let peak = scores.max()!
                let weights = scores.map { exp($0 - peak) }
                let total = weights.reduce(0, +)
                for c in 0..<dv {
                    var acc = 0.0
                    for j in 0..<visible { acc += weights[j] / total * v[flat: ((bi * hkv + kvh) * tk + j) * dv + c] }
                    out[((bi * hq + h) * tq + i) * dv + c] = acc
                }
            }
        } }
        return out
    }
}

private func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

private let forwardCases = [
    AttentionCase("MHA", hq: 3, hkv: 3, tq: 4, dk: 4),
    AttentionCase("GQA", hq: 6, hkv: 2, tq: 5, dk: 4),
    AttentionCase("MQA", hq: 4, hkv: 1, tq: 5, dk: 3),
    AttentionCase("Dk != Dv", hq: 2, hkv: 2, tq: 4, dk: 5, dv: 3),
    AttentionCase("offset", hq: 2, hkv: 2, tq: 2, tk: 5, dk: 4, offset: 3),
    AttentionCase("offset with unused keys", hq: 4, hkv: 2, tq: 2, tk: 7, dk: 3, offset: 2),
    AttentionCase("odd T", b: 1, hq: 3, hkv: 1, tq: 7, dk: 3, dv: 5),
    // Longer than one tile of query rows, with a partial last tile.
    AttentionCase("tiled", b: 2, hq: 4, hkv: 2, tq: 2 * AttentionPlan.tileRows + 9, dk: 3, dv: 2),
    AttentionCase("tiled with offset", b: 1, hq: 2, hkv: 1, tq: AttentionPlan.tileRows + 3, tk: AttentionPlan.tileRows + 8, dk: 2, offset: 5),
]

private let gradientCases = [
    AttentionCase("MHA", hq: 2, hkv: 2, tq: 4, dk: 3),
    AttentionCase("GQA", hq: 4, hkv: 2, tq: 5, dk: 3),
    AttentionCase("MQA", hq: 3, hkv: 1, tq: 4, dk: 3),
    AttentionCase("Dk != Dv", hq: 2, hkv: 1, tq: 4, dk: 5, dv: 3),
    AttentionCase("offset", hq: 2, hkv: 1, tq: 2, tk: 6, dk: 4, offset: 3),
    AttentionCase("tiled", b: 1, hq: 2, hkv: 1, tq: AttentionPlan.tileRows + 2, dk: 2),
]

@Suite struct AttentionTests {
    @Test(arguments: forwardCases)
    func forwardMatchesNaive(_ c: AttentionCase) {
        let (q, k, v) = c.inputs(seed: 11, grad: false)
        let y = Graph<Double>(recording: false).causalAttention(q, k, v, scale: c.scale, positionOffset: c.offset)
        #expect(y.shape == [c.b, c.hq, c.tq, c.dv])
        #expect(maxAbsDiff(y.array, c.naive(q, k, v)) <= 1e-12)
    }

    @Test(arguments: [AttentionCase("MHA", hq: 2, hkv: 2, tq: 6, dk: 4),
                      AttentionCase("GQA", hq: 4, hkv: 2, tq: 6, dk: 3, dv: 2)])
    func lastRowMatchesSingleQueryDecode(_ c: AttentionCase) {
        let (q, k, v) = c.inputs(seed: 12, grad: false)
        let g = Graph<Double>(recording: false)
        let full = g.causalAttention(q, k, v, scale: c.scale)
        var lastQueries: [Double] = []
        for bh in 0..<(c.b * c.hq) {
            lastQueries += (0..<c.dk).map { q[flat: (bh * c.tq + c.tq - 1) * c.dk + $0] }
        }
        let q1 = Tensor<Double>(shape: [c.b, c.hq, 1, c.dk], values: lastQueries)
        let one = g.causalAttention(q1, k, v, scale: c.scale, positionOffset: c.tq - 1)
        var lastRows: [Double] = []
        for bh in 0..<(c.b * c.hq) {
            lastRows += (0..<c.dv).map { full[flat: (bh * c.tq + c.tq - 1) * c.dv + $0] }
        }
        #expect(maxAbsDiff(one.array, lastRows) <= 1e-12)
    }

    @Test(arguments: gradientCases)
    func gradientsMatchFiniteDifferences(_ c: AttentionCase) {
        let (q, k, v) = c.inputs(seed: 13, grad: true)
        let err = maxGradError([q, k, v]) { g in
            g.weightedSum(g.causalAttention(q, k, v, scale: c.scale, positionOffset: c.offset))
        }
        #expect(err <= 1e-6)
    }

    @Test func keysPastTheCausalLimitGetNoGradient() {
        let c = AttentionCase("unused keys", hq: 2, hkv: 1, tq: 2, tk: 7, dk: 3, offset: 2)
        let (q, k, v) = c.inputs(seed: 14, grad: true)
        let g = Graph<Double>()
        g.backward(g.weightedSum(g.causalAttention(q, k, v, scale: c.scale, positionOffset: c.offset)))
        let visibleKeys = c.offset + c.tq
        for bi in 0..<c.b {
            for j in visibleKeys..<c.tk {
                for x in 0..<c.dk { #expect(k.grad!.pointer[(bi * c.tk + j) * c.dk + x] == 0) }
                for x in 0..<c.dv { #expect(v.grad!.pointer[(bi * c.tk + j) * c.dv + x] == 0) }
            }
            #expect(k.grad!.pointer[(bi * c.tk + visibleKeys - 1) * c.dk] != 0)
        }
    }

    @Test func unrecordedGraphAllocatesNoGradients() {
        let c = AttentionCase("GQA", hq: 4, hkv: 2, tq: 5, dk: 3)
        let (q, k, v) = c.inputs(seed: 15, grad: false)
        let inference = Graph<Double>(recording: false)
        let y = inference.causalAttention(q, k, v, scale: c.scale)
        #expect(q.grad == nil && k.grad == nil && v.grad == nil && y.grad == nil)
        #expect(inference.tapeLength == 0)

        let (qt, kt, vt) = c.inputs(seed: 15, grad: true)
        let training = Graph<Double>()
        let yt = training.causalAttention(qt, kt, vt, scale: c.scale)
        #expect(yt.grad != nil && training.tapeLength == 1)
        #expect(y.array == yt.array)
    }

    /// Workers own disjoint groups, so splitting the work differently must not change one bit.
    @Test(arguments: [AttentionCase("GQA", b: 3, hq: 4, hkv: 2, tq: 6, dk: 3),
                      AttentionCase("tiled MQA", b: 3, hq: 2, hkv: 1, tq: AttentionPlan.tileRows + 5, dk: 4, dv: 3)])
    func parallelScheduleIsBitwiseDeterministic(_ c: AttentionCase) {
        func run(_ schedule: AttentionSchedule) -> [[Double]] {
            let (q, k, v) = c.inputs(seed: 16, grad: true)
            let g = Graph<Double>()
            let y = g.causalAttention(q, k, v, scale: c.scale, positionOffset: c.offset, schedule: schedule)
            g.backward(g.weightedSum(y))
            return [y.array, q.gradArray!, k.gradArray!, v.gradArray!]
        }
        let sequential = BLASThreads.withSingleThread { run(.sequential) }
        #expect(run(.parallel) == sequential)
        #expect(run(.parallel) == sequential)
    }

    /// Float rows take the 16-lane softmax: every row length from 1 to 50 (whole blocks, tails,
    /// both) against the Double softmax of the same scores, masked columns exactly zero, and the
    /// returned peak equal to the largest visible score.
    @Test func floatSoftmaxRowsMatchDouble() {
        var rng = TestRNG(21)
        let rows = 50, keys = 50
        let scores = (0..<(rows * keys)).map { _ in Float(rng.uniform() * 8) }
        var s = scores
        let peak = s.withUnsafeMutableBufferPointer { buf in
            causalSoftmaxRows(buf.baseAddress!, ld: keys, tile: AttentionTile(rowStart: 0, rows: rows, keys: keys),
                              queries: rows, positionOffset: 0)
        }
        var largest = -Float.infinity
        for r in 0..<rows {
            let visible = r + 1
            let row = (0..<visible).map { Double(scores[r * keys + $0]) }
            largest = max(largest, Float(row.max()!))
            let weights = row.map { exp($0 - row.max()!) }
            let total = weights.reduce(0, +)
            for j in 0..<keys {
                let got = Double(s[r * keys + j])
                if j < visible {
                    #expect(abs(got - weights[j] / total) <= 2e-7, "row \(r) column \(j)")
                } else {
                    #expect(got == 0, "row \(r) masked column \(j)")
                }
            }
        }
        #expect(peak == largest)
    }

    /// A NaN score anywhere in a visible row (in a 16-lane block or in the tail) makes the row NaN
    /// and the reported peak NaN, so the stability diagnostics see it.
    @Test(arguments: [0, 5, 17, 33])
    func floatSoftmaxReportsNaNScores(_ position: Int) {
        let keys = 34
        var s = (0..<keys).map { Float($0) / 10 }
        s[position] = .nan
        let peak = s.withUnsafeMutableBufferPointer { buf in
            causalSoftmaxRows(buf.baseAddress!, ld: keys, tile: AttentionTile(rowStart: keys - 1, rows: 1, keys: keys),
                              queries: keys, positionOffset: 0)
        }
        #expect(peak.isNaN)
        #expect(s[0].isNaN)
    }

    /// The attention's worker count follows `train.threads` (`Parallel.workers`), not the
    /// machine's cores: a sweep's one-thread runs must not each take two cores.
    @Test func attentionWorkersFollowTheConfiguredThreadCount() {
        ProcessWideSettings.gate.enterExclusive()
        defer { ProcessWideSettings.gate.leaveExclusive() }
        let before = Parallel.workers
        defer { Parallel.workers = before }
        let plan = AttentionPlan(q: [2, 4, 8, 4], k: [2, 4, 8, 4], v: [2, 4, 8, 4], positionOffset: 0)
        Parallel.workers = 1
        #expect(plan.workers(.automatic) == 1 && plan.workers(.parallel) == 1)
        Parallel.workers = 2
        #expect(plan.workers(.automatic) == 2 && plan.workers(.parallel) == 2)
    }

    /// The OpenBLAS thread count is process-wide and other tests running at the same time open
    /// single-thread scopes of their own (parallel attention, GEMM halves). Each attempt sets the
    /// count to 2 (inside another test's scope that becomes the value its scope restores), runs
    /// nested scopes and checks that 2 is back; attempts repeat until one sees no other scope open.
    /// A scope that did not restore the count would leave 1 behind in every attempt.
    @Test func singleThreadScopeRestoresThreadCount() {
        let original = BLASThreads.count
        defer { BLASThreads.setCount(original) }
        var restored = false
        for _ in 0..<50 where !restored {
            BLASThreads.setCount(2)
            let inside = BLASThreads.withSingleThread {
                (BLASThreads.count, BLASThreads.withSingleThread { BLASThreads.count }, BLASThreads.count)
            }
            #expect(inside == (1, 1, 1))
            restored = BLASThreads.count == 2
            if !restored { usleep(20_000) }
        }
        #expect(restored)
    }
}
