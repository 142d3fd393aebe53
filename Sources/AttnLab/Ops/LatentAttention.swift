extension Graph {
    /// Attention in a latent space (inference only, nothing recorded): MLA's and GLA's absorbed
    /// decoding (DeepSeek-V2 section 2.1.3; Zadouri et al. 2025, section 3.3).
    ///
    /// - qLatent [B, H, Tn, d_c]: queries with W_UK absorbed; qRope [B, H, Tn, d_R].
    /// - latents [B, h_c, capacity, d_c]: the cached latent heads; query head h reads latent head
    ///   h / (H / h_c) (MLA: h_c = 1). ropeKeys [B, 1, capacity, d_R]: the shared roped key.
    /// - The new tokens are the last Tn of `length` cached positions.
    ///
    /// Per (batch row, latent head) the heads it serves share one GEMM against the cache:
    ///   S = scale · (Q_lat Cᵀ + Q_rope Rᵀ),  out = softmax_causal(S) C   → [B, H, Tn, d_c].
    /// With `diagnostics` attached, the largest S reaches them as the current layer's attention
    /// logit, as in `causalAttention`.
    public func latentAttention(
        qLatent: Tensor<T>, qRope: Tensor<T>, latents: Tensor<T>, ropeKeys: Tensor<T>, length: Int, scale: T
    ) -> Tensor<T> {
        let (b, h, tn, dc) = (qLatent.shape[0], qLatent.shape[1], qLatent.shape[2], qLatent.shape[3])
        let (groups, capacity, dr) = (latents.shape[1], latents.shape[2], qRope.shape[3])
        precondition(latents.shape[3] == dc && ropeKeys.shape[3] == dr && ropeKeys.shape[1] == 1 && length <= capacity
                     && groups > 0 && h % groups == 0,
                     "latentAttention: queries \(qLatent.shape)/\(qRope.shape) do not match the cache \(latents.shape)/\(ropeKeys.shape)")
        let rows = h / groups * tn
        let out = output([b, h, tn, dc], grad: false)
        let scores = scratch(rows * length)
        let sp = scores.pointer
        let tile = AttentionTile(rowStart: 0, rows: rows, keys: length)
        for bi in 0..<b {
            let r = ropeKeys.ptr + bi * capacity * dr
            for gi in 0..<groups {
                let c = latents.ptr + (bi * groups + gi) * capacity * dc
                let first = (bi * groups + gi) * rows
                T.gemm(transA: false, transB: true, m: rows, n: length, k: dc, alpha: scale,
                       a: qLatent.ptr + first * dc, lda: dc, b: c, ldb: dc, beta: 0, c: sp, ldc: length)
                T.gemm(transA: false, transB: true, m: rows, n: length, k: dr, alpha: scale,
                       a: qRope.ptr + first * dr, lda: dr, b: r, ldb: dr, beta: 1, c: sp, ldc: length)
                let peak = causalSoftmaxRows(sp, ld: length, tile: tile, queries: tn, positionOffset: length - tn)
                diagnostics?.recordAttentionLogit(Double(peak))
                T.gemm(transA: false, transB: false, m: rows, n: dc, k: length, alpha: 1,
                       a: sp, lda: length, b: c, ldb: dc, beta: 0, c: out.ptr + first * dc, ldc: dc)
            }
        }
        return out
    }
}
