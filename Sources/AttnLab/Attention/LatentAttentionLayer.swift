/// What the latent attentions (MLA, GLA) share around their own latent handling: the training
/// forward and the cached decode along `LatentDecodeMode`. A conforming layer supplies how tokens
/// become cache rows (`latentAndRopeKey`) and how cached latents expand to keys and values
/// (`expand`); everything else is written once here.
protocol LatentAttentionLayer: CausalSelfAttention {
    var compression: LatentCompression<T> { get }
    var oProj: Linear<T> { get }
    var decodeMode: LatentDecodeMode { get }
    /// Set by `prepareForInference`.
    var inference: LatentInference<T>? { get }
    /// The new tokens' cache rows: latents [B, h_c, T, w] and the roped key [B, 1, T, d_R].
    func latentAndRopeKey(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>)
    /// Latents [B, h_c, S, w] → no-RoPE keys [B, H, S, d_nope] and values [B, H, S, d_v].
    func expand(_ g: Graph<T>, _ latent: Tensor<T>) -> (Tensor<T>, Tensor<T>)
}

extension LatentAttentionLayer {
    var query: LowRankQuery<T> { compression.query }
    /// 1/√(d_nope + d_R).
    var scale: T { 1 / T.squareRoot(T(query.qkNopeHeadDim + query.qkRopeHeadDim)) }

    /// Keys [k_nope ; shared roped key] and values from the latents, causal attention, `o_proj`.
    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        let q = query(g, x, offset: 0)
        let (latent, ropeKey) = latentAndRopeKey(g, x, offset: 0)
        let (kNope, v) = expand(g, latent)
        let k = g.concat([kNope, g.broadcastHeads(ropeKey, heads: query.nHeads)])
        return oProj(g, g.mergeHeads(g.causalAttention(q, k, v, scale: scale)))
    }

    /// x [B, Tn, d] → [B, Tn, d] for the next Tn tokens: `naive` decompresses the cached latents
    /// to keys and values (`expandedLatentAttention`), `absorbed` attends in the latent space with
    /// the absorbed weights (`latentAttention`).
    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>) -> Tensor<T> {
        guard let inference else { preconditionFailure("latent attention decode before prepareForInference()") }
        let offset = cache.length, total = offset + x.shape[1], heads = query.nHeads
        let (latent, ropeKey) = latentAndRopeKey(g, x, offset: offset)
        cache.append([latent, ropeKey])
        switch decodeMode {
        case .naive:
            let q = query(g, x, offset: offset, inference: inference.denseQ)
            let o = g.expandedLatentAttention(q: q, latents: cache.streams[0].tensor, ropeKeys: cache.streams[1].tensor,
                                              up: inference.expansion, vHeadDim: inference.vHeadDim, length: total, scale: scale)
            return oProj(g, g.mergeHeads(o))
        case .absorbed:
            let u = query.input(g, x)
            let qLatent = g.splitHeads(g.matmul(u, inference.latentQ, transB: true), heads: heads)
            let qRope = query.rope(g, g.splitHeads(g.matmul(u, inference.ropeQ, transB: true), heads: heads), offset: offset)
            let o = g.latentAttention(qLatent: qLatent, qRope: qRope, latents: cache.streams[0].tensor,
                                      ropeKeys: cache.streams[1].tensor, length: total, scale: scale)
            return g.matmul(g.mergeHeads(o), inference.latentO, transB: true)
        }
    }
}
