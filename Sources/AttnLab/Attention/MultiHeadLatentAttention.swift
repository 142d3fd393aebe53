/// DeepSeek-V2 multi-head latent attention (arXiv 2405.04434 section 2.1.2-2.1.3; mla-facts.md
/// section 1).
///
/// Keys and values come from a normalised latent c_KV = norm(W_DKV h) (`kv_a_proj_with_mqa`,
/// `kv_a_layernorm`) expanded per head by `kv_b_proj`; positions enter only through a decoupled
/// RoPE slice: a per-head query part and ONE roped key shared by all heads. The cache holds
/// c_KV and that key, kv_lora_rank + qk_rope_head_dim elements per token. Queries: `LowRankQuery`.
public final class MultiHeadLatentAttention<T: Scalar>: LatentAttentionLayer {
    public let nHeads: Int, kvLoraRank: Int, qkNopeHeadDim: Int, qkRopeHeadDim: Int, vHeadDim: Int
    public let compression: LatentCompression<T>
    public let kvANorm: RMSNormLayer<T>, kvB: Linear<T>, oProj: Linear<T>
    /// Decoding path; both give the same outputs.
    public var decodeMode: LatentDecodeMode = .absorbed
    public let cacheStreams: [CacheStreamShape]

    /// Inference weights derived from the trained ones by `prepareForInference`.
    private(set) var inference: LatentInference<T>?

    init(_ store: ParameterStore<T>, _ p: String, config: ModelConfig, std: Double, residualStd: Double) {
        let a = config.attention, d = config.dModel
        nHeads = a.nHeads; kvLoraRank = a.kvLoraRank; qkNopeHeadDim = a.qkNopeHeadDim
        qkRopeHeadDim = a.qkRopeHeadDim; vHeadDim = a.vHeadDim
        compression = LatentCompression(store, p, config: config, std: std)
        kvANorm = RMSNormLayer(store, p + ".kv_a_layernorm", width: kvLoraRank, eps: a.latentNormEps)
        kvB = Linear(store, p + ".kv_b_proj", in: kvLoraRank, out: nHeads * (qkNopeHeadDim + vHeadDim), std: std)
        oProj = Linear(store, p + ".o_proj", in: nHeads * vHeadDim, out: d, std: residualStd)
        cacheStreams = MultiHeadLatentDesign().cacheStreams(config)
    }

    // MARK: training

    /// The cached quantities of x's tokens: norm(c_KV) as [B, 1, T, d_c] and the roped shared
    /// key as [B, 1, T, d_R].
    func latentAndRopeKey(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>) {
        let (latent, ropeKey) = compression(g, x, offset: offset)
        return (g.reshape(kvANorm(g, latent), [x.shape[0], 1, x.shape[1], kvLoraRank]), ropeKey)
    }

    /// Latents [B, 1, S, d_c] → per-head no-RoPE keys [B, H, S, d_nope] and values [B, H, S, d_v].
    func expand(_ g: Graph<T>, _ latent: Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let (b, s) = (latent.shape[0], latent.shape[2])
        let kv = g.splitHeads(kvB(g, g.reshape(latent, [b, s, kvLoraRank])), heads: nHeads)
        let parts = g.split(kv, [qkNopeHeadDim, vHeadDim])
        return (parts[0], parts[1])
    }

    // MARK: inference

    public func prepareForInference() {
        let rows = qkNopeHeadDim + vHeadDim
        inference = LatentInference(query: query, latentWidth: kvLoraRank, vHeadDim: vHeadDim, oProj: oProj) {
            self.kvB.weight.ptr + $0 * rows * self.kvLoraRank
        }
    }
}

/// MLA's keys, cache, FLOPs, folding and Table-1 text.
public struct MultiHeadLatentDesign: AttentionDesign {
    public func makeLayer<T: Scalar>(
        _ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, std: Double, residualStd: Double
    ) -> AttentionVariant<T> {
        .latent(MultiHeadLatentAttention(store, prefix, config: config, std: std, residualStd: residualStd))
    }

    public func validate(_ config: ModelConfig) throws {
        try Self.validateLatentKeys(config)
        try ModelConfig.requireDimension(config.attention.vHeadDim, "model.attention.v_head_dim")
    }

    /// The keys MLA shares with GLA: kv_lora_rank, q_lora_rank, qk_rope_head_dim,
    /// qk_nope_head_dim and query_compression.
    static func validateLatentKeys(_ config: ModelConfig) throws {
        let a = config.attention
        try ModelConfig.requireDimension(a.kvLoraRank, "model.attention.kv_lora_rank")
        guard a.qLoraRank >= 0, a.qLoraRank <= ModelConfig.dimensionLimit else {
            throw ModelConfigError(
                key: "model.attention.q_lora_rank", expected: "0 (dense q_proj) or a positive rank up to \(ModelConfig.dimensionLimit)",
                found: "\(a.qLoraRank)")
        }
        guard a.qkRopeHeadDim >= 0, a.qkRopeHeadDim <= ModelConfig.dimensionLimit, a.qkRopeHeadDim % 2 == 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_rope_head_dim",
                expected: "an even width in [0, \(ModelConfig.dimensionLimit)], since RoPE rotates pairs", found: "\(a.qkRopeHeadDim)")
        }
        // Keys need a no-RoPE part: it is what the latent expands to (the RoPE part may be empty).
        try ModelConfig.requireDimension(a.qkNopeHeadDim, "model.attention.qk_nope_head_dim")
        if a.queryCompression == .always, a.qLoraRank == 0 {
            throw ModelConfigError(
                key: "model.attention.query_compression",
                expected: "\"train-only\" when q_lora_rank is 0 (there is no query bottleneck to keep)",
                found: "\"always\"")
        }
    }

    /// The latent c_KV and the shared roped key.
    public func cacheStreams(_ config: ModelConfig) -> [CacheStreamShape] {
        let a = config.attention
        return [CacheStreamShape(groups: 1, width: a.kvLoraRank), CacheStreamShape(groups: 1, width: a.qkRopeHeadDim)]
    }

    public func flopWidths(_ config: ModelConfig) -> (qk: Int, v: Int) {
        let a = config.attention
        return ((SaturatingCount(a.qkNopeHeadDim) + SaturatingCount(a.qkRopeHeadDim)).value, a.vHeadDim)
    }

    public func activationElements(_ config: ModelConfig) -> Double {
        let a = config.attention, heads = Double(a.nHeads)
        let qk = Double(a.qkNopeHeadDim) + Double(a.qkRopeHeadDim), v = Double(a.vHeadDim)
        return 3 * heads * (2 * qk + v) + 2 * heads * v + 2 * (Double(a.qLoraRank) + Double(a.kvLoraRank) + Double(a.qkRopeHeadDim))
    }

    /// A train-only query bottleneck is linear, so inference multiplies it out into one dense
    /// `q_proj`: the q_lora_rank = 0 architecture.
    public func served(_ config: ModelConfig) -> ModelConfig { LowRankQuery<Float>.served(config) }

    public var formula: String { "(d_c + d_R) l" }
    public func formulaFactors(_ config: ModelConfig) -> String {
        "(\(config.attention.kvLoraRank) + \(config.attention.qkRopeHeadDim))"
    }
    public func shapeSummary(_ config: ModelConfig) -> String {
        let a = config.attention
        return "MLA, \(a.nHeads) heads, d_c \(a.kvLoraRank), d_R \(a.qkRopeHeadDim)"
    }
    public var groupEquivalence: String { "(d_c + d_R) / (2 d_h)" }
    public func baselineHeadDim(_ config: ModelConfig) -> Int { config.attention.qkNopeHeadDim }
    public func outputHeadDim(_ config: ModelConfig) -> Int { config.attention.vHeadDim }

    public var kvOptions: [KVOption] { [.kvLoraRank, .ropeDim] }

    /// DeepSeek-V2's proportions: d_c = 4 d_h, d_R = d_h / 2, d_nope = d_v = d_h, dense q_proj.
    public func applyKVOptions(_ options: KVOptionValues, headDim: Int, to a: inout AttentionConfig) throws {
        a.kvLoraRank = options.kvLoraRank ?? 4 * headDim
        a.qkRopeHeadDim = options.ropeDim ?? headDim / 2
        a.qkNopeHeadDim = headDim
        a.vHeadDim = headDim
        a.qLoraRank = 0
    }
}
