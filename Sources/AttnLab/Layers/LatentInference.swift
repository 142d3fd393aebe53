/// How a latent attention (MLA, GLA) decodes from its latent cache (mla-facts.md section 1).
public enum LatentDecodeMode: String, Sendable, CaseIterable {
    /// Decompress the cached latents to per-head K and V at every step.
    case naive
    /// W_UK folded into the query side and W_UV into the output side: attention runs in the
    /// latent space and no K or V is materialised.
    case absorbed
}

/// The compression shared by the latent attentions: DeepSeek's queries (`LowRankQuery`) and
/// `kv_a_proj_with_mqa`, x [B, T, d] → the raw latent c_KV [B, T, d_c] and the shared roped key
/// [B, 1, T, d_R]. What normalises and expands the latent is the layer's own. The raw c_KV is
/// what the stability diagnostics' latent RMS measures (`Graph.reportLatent`).
public struct LatentCompression<T: Scalar> {
    public let query: LowRankQuery<T>
    public let kvA: Linear<T>
    public let kvLoraRank: Int

    public init(_ store: ParameterStore<T>, _ p: String, config: ModelConfig, std: Double) {
        let a = config.attention
        query = LowRankQuery(store, p, config: config, qkNopeHeadDim: a.qkNopeHeadDim, std: std)
        kvA = Linear(store, p + ".kv_a_proj_with_mqa", in: config.dModel, out: a.kvLoraRank + a.qkRopeHeadDim, std: std)
        kvLoraRank = a.kvLoraRank
    }

    public func callAsFunction(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (latent: Tensor<T>, ropeKey: Tensor<T>) {
        let (b, t, dr) = (x.shape[0], x.shape[1], query.qkRopeHeadDim)
        let parts = g.split(kvA(g, x), [kvLoraRank, dr])
        g.reportLatent(parts[0])
        return (parts[0], query.rope(g, g.reshape(parts[1], [b, 1, t, dr]), offset: offset))
    }
}

/// The inference side shared by the latent attentions (MLA; GLA, whose latent is split into
/// h_c heads): the dense query weight and, per query head, the absorbed W_UK (into the query)
/// and W_UV (into `o_proj`), and cached decoding along either `LatentDecodeMode`. The layer
/// supplies what differs: how tokens become cached latents and how latents expand to K and V.
struct LatentInference<T: Scalar> {
    let denseQ: Tensor<T>  // [H·(d_nope+d_R), du]: folded or as trained
    let latentQ: Tensor<T>  // [H·w, du]: W_UKᵀ absorbed into each head's nope query
    let ropeQ: Tensor<T>  // [H·d_R, du]
    let latentO: Tensor<T>  // [d, H·w]: W_UV absorbed into o_proj
    /// [H·(d_nope + d_v), w]: each query head's rows of its up-projection (W_UK then W_UV), for
    /// naive decoding; the heads of one latent head are consecutive.
    let expansion: Tensor<T>
    let vHeadDim: Int

    /// `up(h)` points at query head h's rows of its up-projection, [d_nope + d_v, w] with w the
    /// width of the latent (head) it reads.
    init(query: LowRankQuery<T>, latentWidth w: Int, vHeadDim dv: Int, oProj: Linear<T>, up: (Int) -> UnsafeMutablePointer<T>) {
        let dq = query.inferenceWeight()
        let (heads, nope, rope, du) = (query.nHeads, query.qkNopeHeadDim, query.qkRopeHeadDim, dq.shape[1])
        denseQ = dq
        latentQ = Tensor<T>(zeros: [heads * w, du])
        ropeQ = Tensor<T>(zeros: [heads * rope, du])
        latentO = Tensor<T>(zeros: [oProj.outFeatures, heads * w])
        expansion = Tensor<T>(zeros: [heads * (nope + dv), w])
        vHeadDim = dv
        for h in 0..<heads {
            // latentQ_h [w, du] = W_UK_hᵀ [w, d_nope] · Wq_nope_h [d_nope, du]; ropeQ_h = Wq_rope_h
            T.gemm(transA: true, transB: false, m: w, n: du, k: nope, alpha: 1,
                   a: up(h), lda: w, b: dq.ptr + h * (nope + rope) * du, ldb: du,
                   beta: 0, c: latentQ.ptr + h * w * du, ldc: du)
            (ropeQ.ptr + h * rope * du).update(from: dq.ptr + (h * (nope + rope) + nope) * du, count: rope * du)
            (expansion.ptr + h * (nope + dv) * w).update(from: up(h), count: (nope + dv) * w)
            // latentO[:, h·w ..<] [d, w] = W_O[:, h·d_v ..<] [d, d_v] · W_UV_h [d_v, w]
            T.gemm(transA: false, transB: false, m: oProj.outFeatures, n: w, k: dv, alpha: 1,
                   a: oProj.weight.ptr + h * dv, lda: heads * dv, b: up(h) + nope * w, ldb: w,
                   beta: 0, c: latentO.ptr + h * w, ldc: heads * w)
        }
    }
}
