/// Grouped-tied attention (GTA; Zadouri, Strauss, Dao, "Hardware-Efficient Attention for Fast
/// Decoding", arXiv 2505.21487 section 3.2; reference `LlamaFlashGTA` in
/// Dao-AILab/grouped-latent-attention `modeling_llama_GTA.py`).
///
/// Each of the n_kv_heads groups has ONE tied state s = `kv_proj` x of width d_h. It is the whole
/// value, and its first d_h − d_R channels are the key's no-RoPE part; the key's last d_R
/// channels are a single-head RoPE key `k_rope_proj` x shared by every head. Queries `q_proj`
/// are RoPE'd on their last d_R channels; scores are scaled by 1/√d_h. The cache holds the tied
/// states and the roped key: n_kv_heads · d_h + d_R elements per token and layer (about half of
/// GQA's 2 · n_kv_heads · d_h at d_R = d_h / 2).
///
/// Shapes: q [B, H, T, d_h]; tied [B, n_kv, T, d_h]; roped key [B, 1, T, d_R]; keys
/// [B, n_kv, T, d_h] = [tied[..., :d_h − d_R] ; roped key]. The reference's `W_rope_k` carries a
/// bias (PyTorch's default); like every AttnLab projection this one is bias-free.
public final class GroupedTiedAttention<T: Scalar>: CausalSelfAttention {
    public let nHeads: Int, nKVHeads: Int, headDim: Int, ropeDim: Int
    public let qProj: Linear<T>, kvProj: Linear<T>, kRopeProj: Linear<T>, oProj: Linear<T>
    public let cacheStreams: [CacheStreamShape]
    let ropeBase: Double, ropeStyle: RopeStyle
    let scale: T

    init(_ store: ParameterStore<T>, _ p: String, config: ModelConfig, std: Double, residualStd: Double) {
        let d = config.dModel
        nHeads = config.attention.nHeads
        nKVHeads = config.attention.nKVHeads
        headDim = config.headDim
        ropeDim = GroupedTiedDesign.ropeDim(config)
        qProj = Linear(store, p + ".q_proj", in: d, out: nHeads * headDim, std: std)
        kvProj = Linear(store, p + ".kv_proj", in: d, out: nKVHeads * headDim, std: std)
        kRopeProj = Linear(store, p + ".k_rope_proj", in: d, out: ropeDim, std: std)
        oProj = Linear(store, p + ".o_proj", in: nHeads * headDim, out: d, std: residualStd)
        cacheStreams = GroupedTiedDesign().cacheStreams(config)
        ropeBase = config.ropeBase
        ropeStyle = config.ropeStyle
        scale = 1 / T.squareRoot(T(headDim))
    }

    /// Roped queries [B, H, T, d_h], tied states [B, n_kv, T, d_h] and the roped key [B, 1, T, d_R]
    /// of x's tokens at positions offset ..<.
    private func project(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
        let (b, t) = (x.shape[0], x.shape[1])
        let q = g.rope(g.splitHeads(qProj(g, x), heads: nHeads), start: headDim - ropeDim, width: ropeDim,
                       positionOffset: offset, base: ropeBase, style: ropeStyle)
        let tied = g.splitHeads(kvProj(g, x), heads: nKVHeads)
        let ropeKey = g.rope(g.reshape(kRopeProj(g, x), [b, 1, t, ropeDim]), positionOffset: offset,
                             base: ropeBase, style: ropeStyle)
        return (q, tied, ropeKey)
    }

    /// Keys [B, n_kv, S, d_h]: each group's tied no-RoPE half beside the shared roped key.
    private func keys(_ g: Graph<T>, tied: Tensor<T>, ropeKey: Tensor<T>) -> Tensor<T> {
        g.concat([g.split(tied, [headDim - ropeDim, ropeDim])[0], g.broadcastHeads(ropeKey, heads: nKVHeads)])
    }

    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        let (q, tied, ropeKey) = project(g, x, offset: 0)
        let o = g.causalAttention(q, keys(g, tied: tied, ropeKey: ropeKey), tied, scale: scale)
        return oProj(g, g.mergeHeads(o))
    }

    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>) -> Tensor<T> {
        let offset = cache.length
        let (q, tied, ropeKey) = project(g, x, offset: offset)
        cache.append([tied, ropeKey])
        // The tied states are the values and, in their first d_h − d_R channels, the keys; the
        // roped key completes each key. All read in place from the cache's buffers.
        let states = cache.streams[0].tensor
        let o = g.cachedAttention(q: q, keys: states, keyWidth: headDim - ropeDim, ropeKeys: cache.streams[1].tensor,
                                  values: states, length: cache.length, scale: scale)
        return oProj(g, g.mergeHeads(o))
    }
}

/// GTA's keys (`n_kv_heads`, `rope_dim`), cache, FLOPs and KV formula.
public struct GroupedTiedDesign: AttentionDesign {
    public func makeLayer<T: Scalar>(
        _ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, std: Double, residualStd: Double
    ) -> AttentionVariant<T> {
        .tied(GroupedTiedAttention(store, prefix, config: config, std: std, residualStd: residualStd))
    }

    /// d_R: `rope_dim`, or d_h / 2 (the paper's choice) when it is 0.
    static func ropeDim(_ config: ModelConfig) -> Int {
        config.attention.ropeDim > 0 ? config.attention.ropeDim : config.headDim / 2
    }

    public func validate(_ config: ModelConfig) throws {
        try GroupedQueryDesign.validateHeadWidth(config)
        try GroupedQueryDesign.validateKVHeads(config)
        let dr = Self.ropeDim(config), a = config.attention
        guard a.ropeDim >= 0, dr >= 2, dr < config.headDim, dr % 2 == 0 else {
            throw ModelConfigError(
                key: "model.attention.rope_dim",
                expected: "an even width in [2, head_dim = \(config.headDim)) (RoPE rotates pairs; the tied state keeps the rest), or 0 for head_dim / 2",
                found: a.ropeDim == 0 ? "0 (head_dim / 2 = \(dr))" : "\(a.ropeDim)")
        }
    }

    /// The tied states (n_kv_heads of d_h) and the single roped key (d_R).
    public func cacheStreams(_ config: ModelConfig) -> [CacheStreamShape] {
        [CacheStreamShape(groups: config.attention.nKVHeads, width: config.headDim),
         CacheStreamShape(groups: 1, width: Self.ropeDim(config))]
    }

    public func flopWidths(_ config: ModelConfig) -> (qk: Int, v: Int) { (config.headDim, config.headDim) }

    public func activationElements(_ config: ModelConfig) -> Double {
        let heads = Double(config.attention.nHeads), dh = Double(config.headDim)
        let kv = Double(config.attention.nKVHeads), dr = Double(Self.ropeDim(config))
        return 3 * (heads + 2 * kv) * dh + 3 * dr + 2 * heads * dh
    }

    public var formula: String { "(n_g d_h + d_R) l" }
    public func formulaFactors(_ config: ModelConfig) -> String {
        "(\(config.attention.nKVHeads) × \(config.headDim) + \(Self.ropeDim(config)))"
    }
    public func shapeSummary(_ config: ModelConfig) -> String {
        "GTA, \(config.attention.nHeads) heads × \(config.headDim), \(config.attention.nKVHeads) tied KV heads, d_R \(Self.ropeDim(config))"
    }

    public var kvOptions: [KVOption] { [.kvHeads, .ropeDim] }

    public func applyKVOptions(_ options: KVOptionValues, headDim: Int, to a: inout AttentionConfig) throws {
        guard let kvHeads = options.kvHeads else {
            throw ModelConfigError(key: "model.attention.n_kv_heads", expected: "a tied KV head count for gta", found: "none")
        }
        a.nKVHeads = kvHeads
        a.ropeDim = options.ropeDim ?? headDim / 2
    }
}
