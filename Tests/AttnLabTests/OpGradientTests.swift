import AttnLab
import Testing

/// Finite-difference checks (Double, central differences) of every op's backward.
@Suite struct OpGradientTests {
    @Test func addSubMulWithRowBroadcast() {
        var rng = TestRNG(10)
        let a = rng.tensor([2, 3, 5]), b = rng.tensor([5]), c = rng.tensor([2, 3, 5]), r = rng.tensor([3, 5])
        #expect(maxGradError([a, b]) { g in g.weightedSum(g.add(a, b)) } <= 1e-6)
        #expect(maxGradError([a, b]) { g in g.weightedSum(g.sub(a, b)) } <= 1e-6)
        #expect(maxGradError([a, c]) { g in g.weightedSum(g.mul(a, c)) } <= 1e-6)
        #expect(maxGradError([a, r]) { g in g.weightedSum(g.mul(a, r)) } <= 1e-6)
        // The same tensor on both sides accumulates both contributions.
        #expect(maxGradError([a]) { g in g.weightedSum(g.mul(a, a)) } <= 1e-6)
    }

    @Test func scaleSumMean() {
        var rng = TestRNG(11)
        let x = rng.tensor([3, 7])
        #expect(maxGradError([x]) { g in g.weightedSum(g.scale(x, -0.37)) } <= 1e-6)
        #expect(maxGradError([x]) { g in g.sum(g.mul(x, x)) } <= 1e-6)
        #expect(maxGradError([x]) { g in g.mean(g.mul(x, x)) } <= 1e-6)
    }

    @Test func reshapeSplitConcat() {
        var rng = TestRNG(12)
        let x = rng.tensor([2, 3, 7]), y = rng.tensor([2, 3, 2])
        #expect(maxGradError([x]) { g in g.weightedSum(g.reshape(g.scale(x, 2), [6, 7])) } <= 1e-6)
        #expect(maxGradError([x]) { g in
            let parts = g.split(x, [2, 4, 1])
            return g.add(g.add(g.weightedSum(parts[0], seed: 1), g.weightedSum(parts[1], seed: 2)),
                         g.weightedSum(parts[2], seed: 3))
        } <= 1e-6)
        #expect(maxGradError([x, y]) { g in g.weightedSum(g.concat([y, x, y])) } <= 1e-6)
    }

    @Test func headSplitMergeAndBroadcast() {
        var rng = TestRNG(13)
        let x = rng.tensor([2, 5, 12]), h = rng.tensor([2, 3, 5, 4]), one = rng.tensor([2, 1, 5, 3])
        #expect(maxGradError([x]) { g in g.weightedSum(g.splitHeads(x, heads: 3)) } <= 1e-6)
        #expect(maxGradError([h]) { g in g.weightedSum(g.mergeHeads(h)) } <= 1e-6)
        #expect(maxGradError([one]) { g in g.weightedSum(g.broadcastHeads(one, heads: 4)) } <= 1e-6)
    }

    @Test func embeddingWithRepeatedIds() {
        var rng = TestRNG(14)
        let table = rng.tensor([6, 5])
        let ids: [Int32] = [0, 3, 3, 5, 1, 3]
        #expect(maxGradError([table]) { g in g.weightedSum(g.embedding(table, ids: ids, shape: [2, 3])) } <= 1e-6)
    }

    @Test func rmsNorm() {
        var rng = TestRNG(15)
        let x = rng.tensor([2, 3, 7]), w = rng.tensor([7])
        #expect(maxGradError([x, w]) { g in g.weightedSum(g.rmsNorm(x, weight: w, eps: 1e-5)) } <= 1e-6)
    }

    @Test func siluAndSwiglu() {
        var rng = TestRNG(16)
        let a = rng.tensor([3, 5], scale: 3), b = rng.tensor([3, 5])
        #expect(maxGradError([a]) { g in g.weightedSum(g.silu(a)) } <= 1e-6)
        #expect(maxGradError([a, b]) { g in g.weightedSum(g.swiglu(gate: a, up: b)) } <= 1e-6)
    }

    @Test(arguments: RopeStyle.allCases)
    func ropeOnSliceWithOffset(style: RopeStyle) {
        var rng = TestRNG(17)
        let x = rng.tensor([2, 3, 5, 10])
        #expect(maxGradError([x]) { g in
            g.weightedSum(g.rope(x, start: 4, width: 6, positionOffset: 3, base: 100, style: style))
        } <= 1e-6)
        #expect(maxGradError([x]) { g in g.weightedSum(g.rope(x, base: 10000, style: style)) } <= 1e-6)
    }

    @Test func crossEntropyWithIgnoredTargets() {
        var rng = TestRNG(18)
        let logits = rng.tensor([2, 3, 7], scale: 2)
        let targets: [Int32] = [1, ignoreIndex, 6, 0, 0, ignoreIndex]
        #expect(maxGradError([logits]) { g in g.crossEntropy(logits, targets: targets) } <= 1e-6)
    }
}
