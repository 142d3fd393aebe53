import AttnLab

/// Small configurations of every attention variant, sized so that finite differences over all
/// parameters stay fast.
enum Variant: String, CaseIterable, CustomStringConvertible {
    case mha, gqa, mqa, mlaTrainOnly, mlaAlways, mlaDenseQuery, gta, gla
    /// MLA and GLA without the decoupled RoPE key (qk_rope_head_dim 0: no position signal, NoPE).
    case mlaNoRope, glaNoRope
    var description: String { rawValue }

    func config(d: Int = 8, heads: Int = 2, layers: Int = 2, vocab: Int = 11) -> ModelConfig {
        var c = ModelConfig()
        c.vocabSize = vocab; c.dModel = d; c.nLayers = layers; c.mlpHidden = 12; c.maxSeqLen = 32
        c.ropeBase = 100
        c.attention.nHeads = heads
        switch self {
        case .mha: c.attention.kind = .mha
        case .gqa: c.attention.kind = .gqa; c.attention.nKVHeads = heads / 2
        case .mqa: c.attention.kind = .mqa
        case .mlaTrainOnly, .mlaAlways, .mlaDenseQuery, .mlaNoRope:
            c.attention.kind = .mla
            c.attention.kvLoraRank = 4; c.attention.qkNopeHeadDim = 2
            c.attention.qkRopeHeadDim = self == .mlaNoRope ? 0 : 2
            c.attention.vHeadDim = 3
            c.attention.qLoraRank = self == .mlaDenseQuery ? 0 : 6
            c.attention.queryCompression = self == .mlaAlways ? .always : .trainOnly
            c.ropeStyle = .interleaved
        case .gta:
            // Two groups of two heads of 4, RoPE on half of each head.
            c.attention.kind = .gta; c.attention.nHeads = 2 * heads; c.attention.headDim = 4
            c.attention.nKVHeads = heads; c.attention.ropeDim = 2
        case .gla, .glaNoRope:
            // GLA-2: two latent heads of 2, each serving `heads` query heads.
            c.attention.kind = .gla; c.attention.nHeads = 2 * heads; c.attention.nLatentHeads = 2
            c.attention.kvLoraRank = 4; c.attention.qkNopeHeadDim = 2
            c.attention.qkRopeHeadDim = self == .glaNoRope ? 0 : 2
            c.attention.vHeadDim = 3; c.attention.qLoraRank = 6; c.attention.queryCompression = .always
        }
        return c
    }
}

/// Replaces the small GPT-2 initialisation by O(1) random weights so that gradients and
/// decode/forward differences are far above rounding noise.
func randomizeWeights<T: Scalar>(_ model: DecoderLM<T>, seed: UInt64, scale: Double = 0.5) {
    var rng = SeededRandom(seed: seed)
    for p in model.parameters {
        let isNorm = p.name.hasSuffix("layernorm.weight") || p.name == "norm.weight"
        for i in 0..<p.count { p[flat: i] = T((isNorm ? 1 : 0) + (rng.uniform() * 2 - 1) * scale) }
    }
}

func tokenSequence(_ n: Int, vocab: Int, seed: UInt64) -> [Int32] {
    var rng = SeededRandom(seed: seed)
    return (0..<n).map { _ in Int32(rng.below(vocab)) }
}
