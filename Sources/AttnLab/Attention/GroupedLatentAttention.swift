/// Grouped latent attention (GLA; Zadouri, Strauss, Dao, "Hardware-Efficient Attention for Fast
/// Decoding", arXiv 2505.21487 section 3.3; reference `LlamaFlashGLA` in
/// Dao-AILab/grouped-latent-attention `modeling_llama_GLA.py`).
///
/// MLA's latent split into h_c = `n_latent_heads` latent heads: `kv_a_proj_with_mqa` gives
/// c_KV [d_c = kv_lora_rank] and one shared RoPE key [d_R]; latent head i is the i-th contiguous
/// slice of d_c / h_c channels, with its own RMSNorm (`kv_a_layernorm.i`, the reference's
/// `kv_norm_{i+1}`) and up-projection (`kv_b_proj.i`, `W_ukv_{i+1}`) to the n_heads / h_c query
/// heads it serves (heads i·n_heads/h_c ..< (i+1)·n_heads/h_c), each [k_nope (d_nope) ; v (d_v)].
/// Keys are [k_nope ; shared roped key], scale 1/√(d_nope + d_R); queries are DeepSeek's
/// (`LowRankQuery`; the reference keeps the normalised bottleneck, `query_compression =
/// "always"`). The cache holds the normalised latent heads and the roped key: d_c + d_R elements
/// per token and layer. MLA is the case h_c = 1. Absorbed decoding works per latent head.
/// The reference's projections carry biases (PyTorch's default); AttnLab's are bias-free.
public final class GroupedLatentAttention<T: Scalar>: LatentAttentionLayer {
    public let nHeads: Int, nLatentHeads: Int, kvLoraRank: Int, qkNopeHeadDim: Int, qkRopeHeadDim: Int, vHeadDim: Int
    public let compression: LatentCompression<T>
    public let kvANorms: [RMSNormLayer<T>], kvBs: [Linear<T>], oProj: Linear<T>
    /// Decoding path; both give the same outputs.
    public var decodeMode: LatentDecodeMode = .absorbed
    public let cacheStreams: [CacheStreamShape]
    /// Width of one latent head, d_c / h_c.
    var latentHeadDim: Int { kvLoraRank / nLatentHeads }

    /// Inference weights derived from the trained ones by `prepareForInference`.
    private(set) var inference: LatentInference<T>?

    init(_ store: ParameterStore<T>, _ p: String, config: ModelConfig, std: Double, residualStd: Double) {
        let a = config.attention, d = config.dModel
        nHeads = a.nHeads; nLatentHeads = a.nLatentHeads; kvLoraRank = a.kvLoraRank
        qkNopeHeadDim = a.qkNopeHeadDim; qkRopeHeadDim = a.qkRopeHeadDim; vHeadDim = a.vHeadDim
        compression = LatentCompression(store, p, config: config, std: std)
        let width = kvLoraRank / nLatentHeads, served = nHeads / nLatentHeads * (qkNopeHeadDim + vHeadDim)
        kvANorms = (0..<nLatentHeads).map { RMSNormLayer(store, p + ".kv_a_layernorm.\($0)", width: width, eps: a.latentNormEps) }
        kvBs = (0..<nLatentHeads).map { Linear(store, p + ".kv_b_proj.\($0)", in: width, out: served, std: std) }
        oProj = Linear(store, p + ".o_proj", in: nHeads * vHeadDim, out: d, std: residualStd)
        cacheStreams = GroupedLatentDesign().cacheStreams(config)
    }

    // MARK: training

    /// The cached quantities of x's tokens: the normalised latent heads [B, h_c, T, d_c / h_c]
    /// and the roped shared key [B, 1, T, d_R].
    func latentAndRopeKey(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>) {
        let (latent, ropeKey) = compression(g, x, offset: offset)
        let heads = g.split(latent, [Int](repeating: latentHeadDim, count: nLatentHeads))
        return (g.splitHeads(g.concat(zip(kvANorms, heads).map { norm, c in norm(g, c) }), heads: nLatentHeads), ropeKey)
    }

    /// Latent heads [B, h_c, S, d_c / h_c] → per-head no-RoPE keys [B, H, S, d_nope] and values
    /// [B, H, S, d_v], query head h reading latent head h / (H / h_c).
    func expand(_ g: Graph<T>, _ latent: Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let heads = g.split(g.mergeHeads(latent), [Int](repeating: latentHeadDim, count: nLatentHeads))
        let kv = g.splitHeads(g.concat(zip(kvBs, heads).map { up, c in up(g, c) }), heads: nHeads)
        let parts = g.split(kv, [qkNopeHeadDim, vHeadDim])
        return (parts[0], parts[1])
    }

    // MARK: inference

    /// Absorption per latent head: query head h folds the rows of `kv_b_proj.i` (i = h / (H / h_c))
    /// that serve it.
    public func prepareForInference() {
        let (perLatent, rows, w) = (nHeads / nLatentHeads, qkNopeHeadDim + vHeadDim, latentHeadDim)
        let ups = kvBs.map(\.weight)
        inference = LatentInference(query: query, latentWidth: w, vHeadDim: vHeadDim, oProj: oProj) { h -> UnsafeMutablePointer<T> in
            let offset: Int = (h % perLatent) * rows * w
            return ups[h / perLatent].ptr + offset
        }
    }
}

/// GLA's keys (MLA's plus `n_latent_heads`), cache, FLOPs and KV formula.
public struct GroupedLatentDesign: AttentionDesign {
    public func validate(_ config: ModelConfig) throws {
        try MultiHeadLatentDesign().validate(config)
        let a = config.attention
        guard a.nLatentHeads >= 1, a.nLatentHeads <= a.nHeads, a.nHeads % a.nLatentHeads == 0,
              a.kvLoraRank % a.nLatentHeads == 0 else {
            throw ModelConfigError(
                key: "model.attention.n_latent_heads",
                expected: "a common divisor of n_heads = \(a.nHeads) and kv_lora_rank = \(a.kvLoraRank) (each latent head serves n_heads / h_c query heads with kv_lora_rank / h_c channels)",
                found: "\(a.nLatentHeads)")
        }
    }

    public func makeLayer<T: Scalar>(
        _ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, std: Double, residualStd: Double
    ) -> AttentionVariant<T> {
        .groupedLatent(GroupedLatentAttention(store, prefix, config: config, std: std, residualStd: residualStd))
    }

    /// The h_c normalised latent heads and the shared roped key.
    public func cacheStreams(_ config: ModelConfig) -> [CacheStreamShape] {
        let a = config.attention, hc = max(a.nLatentHeads, 1)
        return [CacheStreamShape(groups: hc, width: a.kvLoraRank / hc), CacheStreamShape(groups: 1, width: a.qkRopeHeadDim)]
    }

    public func flopWidths(_ config: ModelConfig) -> (qk: Int, v: Int) { MultiHeadLatentDesign().flopWidths(config) }
    public func activationElements(_ config: ModelConfig) -> Double { MultiHeadLatentDesign().activationElements(config) }
    public func served(_ config: ModelConfig) -> ModelConfig { LowRankQuery<Float>.served(config) }

    public var formula: String { "(h_c d_c + d_R) l" }
    public func formulaFactors(_ config: ModelConfig) -> String {
        let s = cacheStreams(config)
        return "(\(s[0].groups) × \(s[0].width) + \(s[1].width))"
    }
    public func shapeSummary(_ config: ModelConfig) -> String {
        let s = cacheStreams(config)
        return "GLA, \(config.attention.nHeads) heads, \(s[0].groups) latent heads of d_c \(s[0].width), d_R \(s[1].width)"
    }
    public var groupEquivalence: String { "(h_c d_c + d_R) / (2 d_h)" }
    public func baselineHeadDim(_ config: ModelConfig) -> Int { config.attention.qkNopeHeadDim }
    public func outputHeadDim(_ config: ModelConfig) -> Int { config.attention.vHeadDim }

    public var kvOptions: [KVOption] { [.kvLoraRank, .ropeDim, .latentHeads] }

    /// GLA-2 as in the reference: two latent heads of 2 d_h (kv_lora_rank 4 d_h), d_R = d_h / 2,
    /// d_nope = d_v = d_h, dense q_proj.
    public func applyKVOptions(_ options: KVOptionValues, headDim: Int, to a: inout AttentionConfig) throws {
        try MultiHeadLatentDesign().applyKVOptions(options, headDim: headDim, to: &a)
        a.nLatentHeads = options.latentHeads ?? 2
    }
}
