/// Grouped-query attention (Ainslie et al. 2023; DeepSeek-V2 Table 1). MHA is the case
/// n_kv_heads = n_heads and MQA the case n_kv_heads = 1, so all three share this layer and differ
/// only in `k_proj`/`v_proj` widths and in what the cache holds (2 · n_kv_heads · d_h per token).
public final class GroupedQueryAttention<T: Scalar>: CausalSelfAttention {
    public let nHeads: Int, nKVHeads: Int, headDim: Int
    public let qProj: Linear<T>, kProj: Linear<T>, vProj: Linear<T>, oProj: Linear<T>
    public let cacheStreams: [CacheStreamShape]
    let ropeBase: Double, ropeStyle: RopeStyle
    let scale: T

    init(_ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, family: GroupedQueryDesign.Family,
         std: Double, residualStd: Double) {
        let d = config.dModel
        nHeads = config.attention.nHeads
        nKVHeads = family.kvHeads(config.attention)
        headDim = config.headDim
        qProj = Linear(store, prefix + ".q_proj", in: d, out: nHeads * headDim, std: std)
        kProj = Linear(store, prefix + ".k_proj", in: d, out: nKVHeads * headDim, std: std)
        vProj = Linear(store, prefix + ".v_proj", in: d, out: nKVHeads * headDim, std: std)
        oProj = Linear(store, prefix + ".o_proj", in: nHeads * headDim, out: d, std: residualStd)
        cacheStreams = GroupedQueryDesign(family: family).cacheStreams(config)
        ropeBase = config.ropeBase
        ropeStyle = config.ropeStyle
        scale = 1 / T.squareRoot(T(headDim))
    }

    /// Projects x to roped q [B, H, T, D], roped k and v [B, Hkv, T, D] for positions offset ..<.
    private func project(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
        let q = g.rope(g.splitHeads(qProj(g, x), heads: nHeads), positionOffset: offset, base: ropeBase, style: ropeStyle)
        let k = g.rope(g.splitHeads(kProj(g, x), heads: nKVHeads), positionOffset: offset, base: ropeBase, style: ropeStyle)
        let v = g.splitHeads(vProj(g, x), heads: nKVHeads)
        return (q, k, v)
    }

    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        let (q, k, v) = project(g, x, offset: 0)
        return oProj(g, g.mergeHeads(g.causalAttention(q, k, v, scale: scale)))
    }

    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>) -> Tensor<T> {
        let offset = cache.length
        let (q, k, v) = project(g, x, offset: offset)
        cache.append([k, v])
        // The cache's full-capacity buffers serve as keys and values, read in place up to the
        // new tokens.
        let o = g.cachedAttention(q: q, keys: cache.streams[0].tensor, keyWidth: headDim, ropeKeys: nil,
                                  values: cache.streams[1].tensor, length: cache.length, scale: scale)
        return oProj(g, g.mergeHeads(o))
    }
}

/// MHA, GQA and MQA: one layer, three head counts.
public struct GroupedQueryDesign: AttentionDesign {
    public enum Family: Sendable {
        case mha, gqa, mqa

        /// KV heads actually used: all query heads, `n_kv_heads`, or one.
        public func kvHeads(_ a: AttentionConfig) -> Int {
            switch self {
            case .mha: return a.nHeads
            case .gqa: return a.nKVHeads
            case .mqa: return 1
            }
        }
    }

    public let family: Family

    public func makeLayer<T: Scalar>(
        _ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, std: Double, residualStd: Double
    ) -> AttentionVariant<T> {
        .grouped(GroupedQueryAttention(store, prefix, config: config, family: family, std: std, residualStd: residualStd))
    }

    public func validate(_ config: ModelConfig) throws {
        try Self.validateHeadWidth(config)
        // RoPE rotates channel pairs, and these kinds rotate the whole head.
        if config.headDim % 2 != 0 {
            let origin = config.attention.headDim == 0 ? " (derived as d_model / n_heads)" : ""
            throw ModelConfigError(
                key: "model.attention.head_dim", expected: "an even width, since RoPE rotates pairs",
                found: "\(config.headDim)\(origin)")
        }
        switch family {
        case .gqa: try Self.validateKVHeads(config)
        case .mha, .mqa: break
        }
    }

    /// `head_dim` in range, or 0 with n_heads dividing d_model.
    static func validateHeadWidth(_ config: ModelConfig) throws {
        let a = config.attention
        if a.headDim < 0 || a.headDim > ModelConfig.dimensionLimit {
            throw ModelConfigError(
                key: "model.attention.head_dim",
                expected: "a positive width up to \(ModelConfig.dimensionLimit), or 0 for d_model / n_heads",
                found: "\(a.headDim)")
        }
        if a.headDim == 0, config.dModel % a.nHeads != 0 {
            throw ModelConfigError(
                key: "model.attention.n_heads",
                expected: "a divisor of d_model = \(config.dModel) (head_dim is 0, so it is d_model / n_heads)",
                found: "\(a.nHeads)")
        }
    }

    /// `n_kv_heads` divides `n_heads`.
    static func validateKVHeads(_ config: ModelConfig) throws {
        let a = config.attention
        guard a.nKVHeads >= 1, a.nKVHeads <= ModelConfig.dimensionLimit, a.nKVHeads <= a.nHeads, a.nHeads % a.nKVHeads == 0 else {
            throw ModelConfigError(
                key: "model.attention.n_kv_heads",
                expected: "a divisor of n_heads = \(a.nHeads) between 1 and \(a.nHeads)",
                found: "\(a.nKVHeads)")
        }
    }

    /// K and V: n_kv_heads vectors of d_h each.
    public func cacheStreams(_ config: ModelConfig) -> [CacheStreamShape] {
        let kv = CacheStreamShape(groups: family.kvHeads(config.attention), width: config.headDim)
        return [kv, kv]
    }

    public func flopWidths(_ config: ModelConfig) -> (qk: Int, v: Int) { (config.headDim, config.headDim) }

    public func activationElements(_ config: ModelConfig) -> Double {
        let heads = Double(config.attention.nHeads), dh = Double(config.headDim)
        let kv = Double(family.kvHeads(config.attention))
        return 3 * (heads + 2 * kv) * dh + 2 * heads * dh
    }

    public var formula: String { texts(ModelConfig()).formula }
    public func formulaFactors(_ config: ModelConfig) -> String { texts(config).factors }
    public func shapeSummary(_ config: ModelConfig) -> String { texts(config).summary }

    /// Table 1's expression, its factors for `config`, and the shape in words, per family.
    private func texts(_ config: ModelConfig) -> (formula: String, factors: String, summary: String) {
        let (h, dh) = (config.attention.nHeads, config.headDim)
        switch family {
        case .mha: return ("2 n_h d_h l", "2 × \(h) × \(dh)", "MHA, \(h) heads × \(dh)")
        case .gqa:
            let g = config.attention.nKVHeads
            return ("2 n_g d_h l", "2 × \(g) × \(dh)", "GQA, \(h) heads × \(dh), \(g) KV heads")
        case .mqa: return ("2 d_h l", "2 × \(dh)", "MQA, \(h) heads × \(dh), 1 KV head")
        }
    }

    public var kvOptions: [KVOption] {
        switch family {
        case .gqa: return [.kvHeads]
        case .mha, .mqa: return []
        }
    }

    public func applyKVOptions(_ options: KVOptionValues, headDim: Int, to a: inout AttentionConfig) throws {
        a.nKVHeads = family.kvHeads(a)
        switch family {
        case .gqa:
            guard let kvHeads = options.kvHeads else {
                throw ModelConfigError(key: "model.attention.n_kv_heads", expected: "a KV head count for gqa", found: "none")
            }
            a.nKVHeads = kvHeads
        case .mha, .mqa: break
        }
    }
}
