extension Graph {
    /// Absorbed MLA attention over the latent cache (inference only, nothing recorded).
    /// qLatent [B, H, Tn, d_c] (queries with W_UK absorbed), qRope [B, H, Tn, d_R]; the new
    /// tokens are the last Tn of `length` cached positions. Per batch row, all heads share the
    /// same latents, so scores for every head come from one GEMM against the cache:
    ///   S = scale · (Q_lat Cᵀ + Q_rope Rᵀ),  out = softmax_causal(S) C   → [B, H, Tn, d_c].
    public func latentAttention(
        qLatent: Tensor<T>, qRope: Tensor<T>, latents: CacheStream<T>, ropeKeys: CacheStream<T>,
        length: Int, scale: T
    ) -> Tensor<T> {
        let (b, h, tn, dc) = (qLatent.shape[0], qLatent.shape[1], qLatent.shape[2], qLatent.shape[3])
        let dr = qRope.shape[3]
        precondition(latents.width == dc && ropeKeys.width == dr && length <= latents.capacity,
                     "latentAttention: query widths \(dc)/\(dr) do not match the cache \(latents.width)/\(ropeKeys.width)")
        let rows = h * tn, offset = length - tn
        let out = output([b, h, tn, dc], grad: false)
        let scores = scratch(rows * length)
        let sp = scores.pointer
        for bi in 0..<b {
            let c = latents.storage.pointer + bi * latents.capacity * dc
            let r = ropeKeys.storage.pointer + bi * ropeKeys.capacity * dr
            T.gemm(transA: false, transB: true, m: rows, n: length, k: dc, alpha: scale,
                   a: qLatent.ptr + bi * rows * dc, lda: dc, b: c, ldb: dc, beta: 0, c: sp, ldc: length)
            T.gemm(transA: false, transB: true, m: rows, n: length, k: dr, alpha: scale,
                   a: qRope.ptr + bi * rows * dr, lda: dr, b: r, ldb: dr, beta: 1, c: sp, ldc: length)
            for row in 0..<rows {
                let visible = offset + row % tn + 1
                let s = sp + row * length
                var m = s[0]
                for j in 1..<visible where s[j] > m { m = s[j] }
                var z: T = 0
                for j in 0..<visible { s[j] = T.expo(s[j] - m); z += s[j] }
                let inv = 1 / z
                for j in 0..<visible { s[j] *= inv }
                for j in visible..<length { s[j] = 0 }
            }
            T.gemm(transA: false, transB: false, m: rows, n: dc, k: length, alpha: 1,
                   a: sp, lda: length, b: c, ldb: dc, beta: 0, c: out.ptr + bi * rows * dc, ldc: dc)
        }
        return out
    }
}
