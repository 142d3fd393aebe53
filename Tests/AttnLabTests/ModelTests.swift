import AttnLab
import Testing

@Suite struct ModelTests {
    /// Full causal forward vs. cached decoding: a 3-token prompt in one call, then one token at a
    /// time, with a 4-token cache chunk so the cache grows mid-sequence.
    func decodeMatchesForward<T: Scalar>(_ type: T.Type, variant: Variant, mode: LatentDecodeMode, batch: Int) -> Double {
        let config = variant.config()
        let model = DecoderLM<T>(config, seed: 7)
        randomizeWeights(model, seed: 8)
        let t = 9
        let ids = tokenSequence(batch * t, vocab: config.vocabSize, seed: 9)
        let full = model.logits(Graph<T>(recording: false), ids: ids, batch: batch)
        let cache = model.makeCache(batch: batch, chunk: 4, latentDecode: mode)
        var worst = 0.0
        var pos = 0
        for step in [3, 1, 1, 1, 1, 1, 1] {
            let g = Graph<T>(recording: false)
            var chunk: [Int32] = []
            for b in 0..<batch { chunk += ids[(b * t + pos)..<(b * t + pos + step)] }
            let out = model.logits(g, ids: chunk, batch: batch, cache: cache)
            let v = config.vocabSize
            for b in 0..<batch { for i in 0..<step { for j in 0..<v {
                let a = Double(out[flat: (b * step + i) * v + j])
                let e = Double(full[flat: (b * t + pos + i) * v + j])
                worst = max(worst, abs(a - e))
            } } }
            pos += step
        }
        #expect(cache.length == pos)
        return worst
    }

    @Test(arguments: Variant.allCases, LatentDecodeMode.allCases)
    func cachedDecodingEqualsFullForward(variant: Variant, mode: LatentDecodeMode) {
        #expect(decodeMatchesForward(Double.self, variant: variant, mode: mode, batch: 2) <= 1e-10)
        #expect(decodeMatchesForward(Float.self, variant: variant, mode: mode, batch: 2) <= 1e-4)
    }

    @Test(arguments: Variant.allCases)
    func gradientThroughWholeModel(variant: Variant) {
        let config = variant.config()
        let model = DecoderLM<Double>(config, seed: 1)
        randomizeWeights(model, seed: 2)
        let (b, t) = (2, 5)
        let ids = tokenSequence(b * t, vocab: config.vocabSize, seed: 3)
        var targets = tokenSequence(b * t, vocab: config.vocabSize, seed: 4)
        targets[3] = ignoreIndex
        let err = maxGradError(model.parameters) { g in model.loss(g, ids: ids, targets: targets, batch: b) }
        #expect(err <= 1e-6)
    }

    @Test func foldedQueryReproducesTheBottleneck() {
        let model = DecoderLM<Double>(Variant.mlaTrainOnly.config(), seed: 3)
        randomizeWeights(model, seed: 4)
        model.blocks.forEach { $0.attention.prepareForInference() }
        let attn = model.blocks[0].attention.layer as! MultiHeadLatentAttention<Double>
        var rng = TestRNG(5)
        let x = rng.tensor([2, 5, 8], grad: false)
        let g = Graph<Double>(recording: false)
        let a = attn.compression.query(g, x, offset: 2), b = attn.compression.query(g, x, offset: 2, inference: attn.compression.query.inferenceWeight())
        #expect(a.shape == b.shape)
        for i in 0..<a.count { #expect(abs(a[flat: i] - b[flat: i]) <= 1e-12) }
    }

    /// `always` puts RMSNorm on c_Q, so rescaling W_DQ cannot change the output; the linear
    /// `train-only` bottleneck has no such invariance.
    @Test(arguments: [(QueryCompression.always, true), (.trainOnly, false)])
    func queryNormOnlyInAlwaysMode(mode: QueryCompression, invariant: Bool) {
        var config = Variant.mlaAlways.config()
        config.attention.queryCompression = mode
        config.normEps = 0
        config.attention.latentNormEps = 0  // q_a_layernorm's eps: exact scale invariance needs none
        let model = DecoderLM<Double>(config, seed: 5)
        randomizeWeights(model, seed: 6)
        #expect(model.parameters.contains { $0.name == "layers.0.self_attn.q_a_layernorm.weight" } == invariant)
        let ids = tokenSequence(6, vocab: config.vocabSize, seed: 7)
        let before = model.logits(Graph(recording: false), ids: ids, batch: 1).array
        let qa = model.parameters.first { $0.name == "layers.1.self_attn.q_a_proj.weight" }!
        for i in 0..<qa.count { qa[flat: i] *= 3 }
        let after = model.logits(Graph(recording: false), ids: ids, batch: 1).array
        let diff = zip(before, after).map { abs($0 - $1) }.max()!
        #expect(invariant ? diff < 1e-10 : diff > 1e-3)
    }

    @Test(arguments: Variant.allCases)
    func cacheHoldsExactlyTheFormula(variant: Variant) {
        let config = variant.config()
        let model = DecoderLM<Float>(config, seed: 1)
        let batch = 3, chunk = 4
        let cache = model.makeCache(batch: batch, chunk: chunk)
        let a = config.attention
        let perLayer: Int
        switch a.kind {
        case .mha: perLayer = 2 * a.nHeads * config.headDim
        case .gqa: perLayer = 2 * a.nKVHeads * config.headDim
        case .mqa: perLayer = 2 * config.headDim
        case .mla: perLayer = a.kvLoraRank + a.qkRopeHeadDim
        case .gta: perLayer = a.nKVHeads * config.headDim + a.ropeDim
        case .gla: perLayer = a.kvLoraRank + a.qkRopeHeadDim
        }
        #expect(cache.elementsPerToken == perLayer * config.nLayers)
        #expect(cache.allocatedBytes == 0)
        let ids = tokenSequence(batch * 5, vocab: config.vocabSize, seed: 2)
        _ = model.logits(Graph(recording: false), ids: ids, batch: batch, cache: cache)
        #expect(cache.usedBytes == batch * 5 * perLayer * config.nLayers * 4)
        // 5 tokens occupy two chunks of 4: growth is by whole chunks, not per token.
        #expect(cache.allocatedBytes == batch * 8 * perLayer * config.nLayers * 4)
        _ = model.logits(Graph(recording: false), ids: Array(ids.prefix(batch)), batch: batch, cache: cache)
        #expect(cache.allocatedBytes == batch * 8 * perLayer * config.nLayers * 4)
    }

    /// Growth by whole chunks stops at max_seq_len: a cache never holds rows no position can use
    /// (a fresh-user trial saw 64 rows allocated for a max_seq_len of 32). Chunk 4, max_seq_len 10:
    /// 4, 8, then 10 rows, not 12; a model filled to max_seq_len holds exactly max_seq_len rows.
    @Test(arguments: Variant.allCases)
    func cacheGrowthStopsAtMaxSeqLen(variant: Variant) {
        var config = variant.config()
        config.maxSeqLen = 10
        let model = DecoderLM<Float>(config, seed: 1)
        let cache = model.makeCache(batch: 1, chunk: 4)
        let ids = tokenSequence(10, vocab: config.vocabSize, seed: 3)
        var capacities: [Int] = []
        for t in 0..<10 {
            _ = model.logits(Graph(recording: false), ids: [ids[t]], batch: 1, cache: cache)
            capacities.append(cache.layers[0].capacity)
        }
        #expect(capacities == [4, 4, 4, 4, 8, 8, 8, 8, 10, 10])
        #expect(cache.allocatedBytes == cache.usedBytes)
        // A cache built by hand (no limit) keeps growing by whole chunks.
        let unlimited = LayerKVCache<Float>(batch: 1, streams: [CacheStreamShape(groups: 1, width: 2)], chunk: 4)
        unlimited.reserve(9)
        #expect(unlimited.capacity == 12)
        let limited = LayerKVCache<Float>(batch: 1, streams: [CacheStreamShape(groups: 1, width: 2)], chunk: 4)
        limited.tokenLimit = 10
        limited.reserve(11)
        #expect(limited.capacity == 11)
    }
}

@Suite struct ParameterNamingTests {
    /// The model creates exactly `ModelConfig.parameterSpecs`, in order and shape: checkpoints,
    /// optimiser state and the parameter counts all rely on it.
    @Test(arguments: Variant.allCases)
    func modelMatchesParameterSpecs(variant: Variant) {
        var config = variant.config()
        config.tieEmbeddings = variant != .mha
        let model = DecoderLM<Float>(config, seed: 1)
        #expect(model.parameters.map(\.name) == config.parameterSpecs.map(\.name))
        #expect(model.parameters.map(\.shape) == config.parameterSpecs.map(\.shape))
    }

    /// MLA parameter names follow Hugging Face's DeepseekV3Attention so weights can be compared
    /// with other implementations; the mapping to the paper's matrices is documented here.
    @Test func mlaNamesFollowHuggingFaceDeepSeekV3() {
        var config = Variant.mlaAlways.config()
        let names = Set(DecoderLM<Float>(config, seed: 1).parameters.map(\.name))
        let expected = [
            "q_a_proj": "W_DQ", "q_a_layernorm": "RMSNorm on c_Q (always mode)", "q_b_proj": "W_UQ and W_QR stacked per head",
            "kv_a_proj_with_mqa": "W_DKV and W_KR stacked", "kv_a_layernorm": "RMSNorm on c_KV",
            "kv_b_proj": "W_UK and W_UV stacked per head", "o_proj": "W_O",
        ]
        for hf in expected.keys { #expect(names.contains("layers.0.self_attn.\(hf).weight")) }
        config.attention.qLoraRank = 0
        config.attention.queryCompression = .trainOnly
        let dense = Set(DecoderLM<Float>(config, seed: 1).parameters.map(\.name))
        #expect(dense.contains("layers.0.self_attn.q_proj.weight"))
        #expect(!dense.contains("layers.0.self_attn.q_a_proj.weight"))
    }
}
