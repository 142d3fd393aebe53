/// Grouped-query attention. MHA is the case Hkv = H and MQA the case Hkv = 1, so all three share
/// this code and differ only in `k_proj`/`v_proj` widths and in what the cache holds
/// (2 · Hkv · d_h per token).
public final class GroupedQueryAttention<T: Scalar>: CausalSelfAttention {
    public let heads: Int, kvHeads: Int, headDim: Int
    public let qProj: Linear<T>, kProj: Linear<T>, vProj: Linear<T>, oProj: Linear<T>
    let ropeBase: Double, ropeStyle: RopeStyle
    let scale: T

    public init(_ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, std: Double, residualStd: Double) {
        let d = config.dModel
        heads = config.attention.nHeads
        kvHeads = config.attention.effectiveKVHeads
        headDim = config.headDim
        qProj = Linear(store, prefix + ".q_proj", in: d, out: heads * headDim, std: std)
        kProj = Linear(store, prefix + ".k_proj", in: d, out: kvHeads * headDim, std: std)
        vProj = Linear(store, prefix + ".v_proj", in: d, out: kvHeads * headDim, std: std)
        oProj = Linear(store, prefix + ".o_proj", in: heads * headDim, out: d, std: residualStd)
        ropeBase = config.ropeBase
        ropeStyle = config.ropeStyle
        scale = 1 / T.squareRoot(T(headDim))
    }

    /// Projects x to roped q [B, H, T, D], roped k and v [B, Hkv, T, D] for positions offset ..<.
    private func project(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
        let q = g.rope(g.splitHeads(qProj(g, x), heads: heads), positionOffset: offset, base: ropeBase, style: ropeStyle)
        let k = g.rope(g.splitHeads(kProj(g, x), heads: kvHeads), positionOffset: offset, base: ropeBase, style: ropeStyle)
        let v = g.splitHeads(vProj(g, x), heads: kvHeads)
        return (q, k, v)
    }

    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        let (q, k, v) = project(g, x, offset: 0)
        return oProj(g, g.mergeHeads(g.causalAttention(q, k, v, scale: scale)))
    }

    public func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T> {
        LayerKVCache(batch: batch, streams: [(kvHeads, headDim), (kvHeads, headDim)], chunk: chunk)
    }

    public func prepareForInference() {}

    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>, mode: MLADecodeMode) -> Tensor<T> {
        let offset = cache.length
        let (q, k, v) = project(g, x, offset: offset)
        cache.append([k, v])
        // The cache's full-capacity buffers serve as keys and values; causal masking at
        // `offset` keeps attention to the cached prefix and the new tokens.
        let o = g.causalAttention(q, cache.streams[0].tensor, cache.streams[1].tensor, scale: scale, positionOffset: offset)
        return oProj(g, g.mergeHeads(o))
    }
}
