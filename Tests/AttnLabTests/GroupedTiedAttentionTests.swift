import AttnLab
import Foundation
import Testing

/// GTA against its definition (Zadouri et al. 2025, section 3.2; `LlamaFlashGTA`), written out
/// with plain loops: per group one tied state s is the value, its first d_h − d_R channels the
/// key's no-RoPE part, the last d_R of the key one roped single-head projection; queries are
/// roped on their last d_R; scale 1/√d_h.
@Suite struct GroupedTiedAttentionTests {
    @Test func forwardMatchesTheDefinition() throws {
        let config = Variant.gta.config()
        let model = DecoderLM<Double>(config, seed: 3)
        randomizeWeights(model, seed: 4)
        let attn = try #require(model.blocks[0].attention.layer as? GroupedTiedAttention<Double>)
        let (h, g, dh, dr, d, t) = (attn.nHeads, attn.nKVHeads, attn.headDim, attn.ropeDim, config.dModel, 5)
        var rng = TestRNG(5)
        let x = rng.tensor([1, t, d], grad: false)
        let graph = Graph<Double>(recording: false)
        let got = attn.forward(graph, x)

        func project(_ w: Tensor<Double>) -> [[Double]] {  // [t][out]
            (0..<t).map { i in (0..<w.shape[0]).map { o in (0..<d).reduce(0) { $0 + w[flat: o * d + $1] * x[flat: i * d + $1] } } }
        }
        func roped(_ rows: [[Double]], start: Int) -> [[Double]] {  // RoPE on [start, start + dr) of each row
            let slice = Tensor<Double>(shape: [1, 1, t, dr], values: rows.flatMap { Array($0[start..<(start + dr)]) })
            let r = graph.rope(slice, base: config.ropeBase, style: config.ropeStyle)
            return rows.enumerated().map { i, row in
                var out = row
                for j in 0..<dr { out[start + j] = r[flat: i * dr + j] }
                return out
            }
        }
        let q = project(attn.qProj.weight), s = project(attn.kvProj.weight)
        let kr = roped(project(attn.kRopeProj.weight), start: 0)
        var mixed = [[Double]](repeating: [Double](repeating: 0, count: h * dh), count: t)
        for head in 0..<h {
            let group = head / (h / g)
            let qh = roped(q.map { Array($0[(head * dh)..<((head + 1) * dh)]) }, start: dh - dr)
            let sg = s.map { Array($0[(group * dh)..<((group + 1) * dh)]) }
            for i in 0..<t {
                let scores = (0...i).map { j -> Double in
                    let key = Array(sg[j][0..<(dh - dr)]) + kr[j]
                    return zip(qh[i], key).reduce(0) { $0 + $1.0 * $1.1 } / Double(dh).squareRoot()
                }
                let peak = scores.max()!, e = scores.map { Foundation.exp($0 - peak) }, z = e.reduce(0, +)
                for c in 0..<dh { mixed[i][head * dh + c] = (0...i).reduce(0) { $0 + e[$1] / z * sg[$1][c] } }
            }
        }
        let o = attn.oProj.weight
        for i in 0..<t { for c in 0..<d {
            let want = (0..<(h * dh)).reduce(0) { $0 + o[flat: c * h * dh + $1] * mixed[i][$1] }
            #expect(abs(got[flat: i * d + c] - want) <= 1e-12)
        } }
    }

    @Test func parametersAndCacheAreThePapers() {
        let config = Variant.gta.config()
        let names = config.parameterSpecs.filter { $0.name.hasPrefix("layers.0.self_attn.") }
            .map { "\($0.name.dropFirst("layers.0.self_attn.".count)) \($0.shape)" }
        #expect(names == ["q_proj.weight [16, 8]", "kv_proj.weight [8, 8]", "k_rope_proj.weight [2, 8]", "o_proj.weight [8, 16]"])
        #expect(config.kvElementsPerTokenPerLayer == 2 * 4 + 2)
    }

    @Test func ropeDimMustLeaveATiedHalf() {
        var config = Variant.gta.config()
        config.attention.ropeDim = 4
        #expect(throws: ModelConfigError(
            key: "model.attention.rope_dim",
            expected: "an even width in [2, head_dim = 4) (RoPE rotates pairs; the tied state keeps the rest), or 0 for head_dim / 2",
            found: "4")) { try config.validate() }
        config.attention.ropeDim = 0
        #expect(throws: Never.self) { try config.validate() }
    }
}
