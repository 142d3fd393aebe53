import AttnLab
import Testing

/// GLA against MLA and against its head-to-latent grouping (Zadouri et al. 2025, section 3.3).
@Suite struct GroupedLatentAttentionTests {
    /// MLA is GLA with one latent head: the same weights (copied in creation order; only the
    /// names of the per-latent-head tensors differ) give the same logits, trained and decoded.
    @Test(arguments: [QueryCompression.always, .trainOnly], LatentDecodeMode.allCases)
    func oneLatentHeadIsMLA(compression: QueryCompression, mode: LatentDecodeMode) throws {
        var mlaConfig = Variant.gla.config()
        mlaConfig.attention.kind = .mla
        mlaConfig.attention.queryCompression = compression
        var glaConfig = mlaConfig
        glaConfig.attention.kind = .gla
        glaConfig.attention.nLatentHeads = 1
        let mla = DecoderLM<Double>(mlaConfig, seed: 1), gla = DecoderLM<Double>(glaConfig, seed: 2)
        randomizeWeights(mla, seed: 3)
        #expect(mla.parameters.map(\.shape) == gla.parameters.map(\.shape))
        #expect(gla.parameters.map(\.name).contains("layers.0.self_attn.kv_b_proj.0.weight"))
        for (a, b) in zip(mla.parameters, gla.parameters) { b.copy(from: a) }

        let ids = tokenSequence(12, vocab: mlaConfig.vocabSize, seed: 4)
        let (x, y) = (mla.logits(Graph(recording: false), ids: ids, batch: 2).array,
                      gla.logits(Graph(recording: false), ids: ids, batch: 2).array)
        #expect(zip(x, y).allSatisfy { abs($0 - $1) <= 1e-13 })

        let (cm, cg) = (mla.makeCache(batch: 1, latentDecode: mode), gla.makeCache(batch: 1, latentDecode: mode))
        for chunk in [Array(ids[0..<3]), [ids[3]], [ids[4]]] {
            let dm = mla.logits(Graph(recording: false), ids: chunk, batch: 1, cache: cm).array
            let dg = gla.logits(Graph(recording: false), ids: chunk, batch: 1, cache: cg).array
            #expect(zip(dm, dg).allSatisfy { abs($0 - $1) <= 1e-12 })
        }
        #expect(cm.elementsPerToken == cg.elementsPerToken)
    }

    /// Query heads 0 ..< H/2 read latent head 0 only: with the output projection of the other
    /// heads zeroed, latent head 1's up-projection cannot change the output, latent head 0's does.
    @Test func contiguousQueryHeadsShareALatentHead() throws {
        let config = Variant.gla.config()
        let model = DecoderLM<Double>(config, seed: 5)
        randomizeWeights(model, seed: 6)
        let attn = try #require(model.blocks[0].attention.layer as? GroupedLatentAttention<Double>)
        let (h, dv, d) = (attn.nHeads, attn.vHeadDim, config.dModel)
        for row in 0..<d { for c in (h / 2 * dv)..<(h * dv) { attn.oProj.weight[flat: row * h * dv + c] = 0 } }
        var rng = TestRNG(7)
        let x = rng.tensor([1, 4, d], grad: false)
        func output() -> [Double] { attn.forward(Graph(recording: false), x).array }
        let before = output()
        for i in 0..<attn.kvBs[1].weight.count { attn.kvBs[1].weight[flat: i] += 0.3 }
        #expect(output() == before)
        for i in 0..<attn.kvBs[0].weight.count { attn.kvBs[0].weight[flat: i] += 0.3 }
        #expect(zip(output(), before).contains { abs($0 - $1) > 1e-3 })
    }

    @Test func latentHeadsMustDivideHeadsAndLatent() {
        var config = Variant.gla.config()
        config.attention.nLatentHeads = 3
        #expect(throws: ModelConfigError.self) { try config.validate() }
        config.attention.nLatentHeads = 4
        config.attention.kvLoraRank = 6
        #expect(throws: ModelConfigError.self) { try config.validate() }
        config.attention.kvLoraRank = 8
        #expect(throws: Never.self) { try config.validate() }
        #expect(config.kvElementsPerTokenPerLayer == 8 + 2)
    }
}
