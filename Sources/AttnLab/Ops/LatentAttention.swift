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
    /// The (batch row, latent head) pairs run on `Parallel.workers` threads.
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
        let (ql, qr, cp, rp, op) = (UncheckedSendable(qLatent.ptr), UncheckedSendable(qRope.ptr), UncheckedSendable(latents.ptr),
                                    UncheckedSendable(ropeKeys.ptr), UncheckedSendable(out.ptr))
        // Per (batch row, latent head), in parallel: the heads it serves share one GEMM against the cache.
        // The latent is both the key (its no-RoPE part) and the value.
        let scoreRows = min(rows, AttentionPlan.tileRows)
        forEachCachedItem(b * groups, scoreCount: scoreRows * length, elementsPerItem: rows * length * (dc + dr)) { item, sp in
            let c = cp.value + item * capacity * dc, first = item * rows
            return attendSplitKeys(
                q: ql.value + first * dc, ldq: dc, qRope: qr.value + first * dr, ldqRope: dr, rows: rows, queries: tn,
                keys: c, ldk: dc, keyWidth: dc, ropeKeys: UnsafePointer(rp.value + item / groups * capacity * dr), ropeWidth: dr,
                values: c, ldv: dc, valueWidth: dc, length: length, scale: scale, scores: sp, out: op.value + first * dc)
        }
        return out
    }
}

extension Graph {
    /// Naive latent decoding (inference only, nothing recorded): the cached latents are
    /// decompressed to per-head keys and values at every step, then attended as in training
    /// (DeepSeek-V2 section 2.1.2, equations 10-11 evaluated over the whole cache; mla-facts.md
    /// section 1). The same arithmetic as `expand` + `causalAttention`, without their copies: the
    /// up-projection writes one scratch [length, (H / h_c)·(d_nope + d_v)] per (batch row, latent
    /// head), and the attention reads each head's keys and values from it in place (strided GEMMs).
    ///
    /// - q [B, H, Tn, d_nope + d_R]: the queries, no-RoPE part first, the new tokens' positions roped.
    /// - latents [B, h_c, capacity, w]: the cached (normalised) latent heads; query head h reads
    ///   latent head h / (H / h_c) (MLA: h_c = 1, w = d_c). ropeKeys [B, 1, capacity, d_R].
    /// - up [H·(d_nope + d_v), w]: per query head, its rows of `kv_b_proj` (W_UK then W_UV), the heads
    ///   of one latent head consecutive (`LatentInference.expansion`).
    /// - The new tokens are the last Tn of `length` cached positions. Returns [B, H, Tn, d_v].
    ///
    /// Per (batch row, query head): S = scale · (Q_nope K_nopeᵀ + Q_rope Rᵀ), out = softmax_causal(S) V.
    /// With `diagnostics` attached, the largest S reaches them as the current layer's attention
    /// logit, as in `causalAttention`.
    public func expandedLatentAttention(
        q: Tensor<T>, latents: Tensor<T>, ropeKeys: Tensor<T>, up: Tensor<T>, vHeadDim dv: Int, length: Int, scale: T
    ) -> Tensor<T> {
        let (b, h, tn, dqk) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (groups, capacity, w, dr) = (latents.shape[1], latents.shape[2], latents.shape[3], ropeKeys.shape[3])
        let dn = dqk - dr, rows = up.shape[0] / max(h, 1)
        precondition(groups > 0 && h % groups == 0 && dn >= 0 && rows == dn + dv && up.shape == [h * rows, w]
                     && ropeKeys.shape[1] == 1 && ropeKeys.shape[2] == capacity && length <= capacity && tn <= length,
                     "expandedLatentAttention: queries \(q.shape), cache \(latents.shape)/\(ropeKeys.shape) and up-projection \(up.shape) do not match")
        let per = h / groups, width = per * rows
        let out = output([b, h, tn, dv], grad: false)
        let kv = scratch(length * width)
        let (kvp, qp, rp, op) = (UncheckedSendable(kv.pointer), UncheckedSendable(q.ptr), UncheckedSendable(ropeKeys.ptr), UncheckedSendable(out.ptr))
        for bi in 0..<b {
            for gi in 0..<groups {
                // K_nope and V of the heads this latent head serves: C [length, w] · upᵀ.
                T.parallelGemm(transA: false, transB: true, m: length, n: width, k: w, alpha: 1,
                               a: latents.ptr + (bi * groups + gi) * capacity * w, lda: w,
                               b: up.ptr + gi * width * w, ldb: w, beta: 0, c: kv.pointer, ldc: width)
                // Then each head attends to its own keys and values, read in place from the scratch.
                forEachCachedItem(per, scoreCount: min(tn, AttentionPlan.tileRows) * length, elementsPerItem: tn * length * (dqk + dv)) { j, scores in
                    let head = bi * h + gi * per + j, qh = qp.value + head * tn * dqk
                    return attendSplitKeys(
                        q: qh, ldq: dqk, qRope: qh + dn, ldqRope: dqk, rows: tn, queries: tn,
                        keys: kvp.value + j * rows, ldk: width, keyWidth: dn,
                        ropeKeys: UnsafePointer(rp.value + bi * capacity * dr), ropeWidth: dr,
                        values: kvp.value + j * rows + dn, ldv: width, valueWidth: dv,
                        length: length, scale: scale, scores: scores, out: op.value + head * tn * dv)
                }
            }
        }
        return out
    }
}
