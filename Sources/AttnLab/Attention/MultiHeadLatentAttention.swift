/// DeepSeek-V2 multi-head latent attention (facts file, section 1).
///
/// Keys and values come from a normalised latent c_KV = norm(W_DKV h) (`kv_a_proj_with_mqa`,
/// `kv_a_layernorm`) expanded per head by `kv_b_proj`; positions enter only through a decoupled
/// RoPE slice: a per-head query part and ONE roped key shared by all heads. The cache holds
/// c_KV and that key, d_c + d_R elements per token.
///
/// Queries: with `q_lora_rank` 0 a dense `q_proj`; otherwise `q_a_proj` then `q_b_proj`, with
/// RMSNorm between them only in `always` mode. In `train-only` mode the bottleneck is linear,
/// so inference folds it into one dense W_Q = W_UQ · W_DQ with identical outputs.
public final class MultiHeadLatentAttention<T: Scalar>: CausalSelfAttention {
    public let heads: Int, kvRank: Int, nopeDim: Int, ropeDim: Int, vDim: Int, qRank: Int
    public let compression: QueryCompression
    public let qProj: Linear<T>?, qA: Linear<T>?, qANorm: RMSNormLayer<T>?, qB: Linear<T>?
    public let kvA: Linear<T>, kvANorm: RMSNormLayer<T>, kvB: Linear<T>, oProj: Linear<T>
    let ropeBase: Double, ropeStyle: RopeStyle
    let scale: T
    var qkDim: Int { nopeDim + ropeDim }

    /// Inference weights derived from the trained ones by `prepareForInference`.
    private var denseQ: Tensor<T>?  // [H·(d_nope+d_R), du]: folded or as trained
    private var latentQ: Tensor<T>?  // [H·d_c, du]: W_UKᵀ absorbed into the query's nope part
    private var ropeQ: Tensor<T>?  // [H·d_R, du]
    private var latentO: Tensor<T>?  // [d, H·d_c]: W_UV absorbed into o_proj

    public init(_ store: ParameterStore<T>, _ p: String, config: ModelConfig, std: Double, residualStd: Double) {
        let a = config.attention, d = config.dModel
        heads = a.nHeads; kvRank = a.kvLoraRank; nopeDim = a.qkNopeHeadDim; ropeDim = a.qkRopeHeadDim
        vDim = a.vHeadDim; qRank = a.qLoraRank; compression = a.queryCompression
        let qk = nopeDim + ropeDim
        if qRank > 0 {
            qProj = nil
            qA = Linear(store, p + ".q_a_proj", in: d, out: qRank, std: std)
            qANorm = compression == .always ? RMSNormLayer(store, p + ".q_a_layernorm", width: qRank, eps: a.latentNormEps) : nil
            qB = Linear(store, p + ".q_b_proj", in: qRank, out: heads * qk, std: std)
        } else {
            qProj = Linear(store, p + ".q_proj", in: d, out: heads * qk, std: std)
            qA = nil; qANorm = nil; qB = nil
        }
        kvA = Linear(store, p + ".kv_a_proj_with_mqa", in: d, out: kvRank + ropeDim, std: std)
        kvANorm = RMSNormLayer(store, p + ".kv_a_layernorm", width: kvRank, eps: a.latentNormEps)
        kvB = Linear(store, p + ".kv_b_proj", in: kvRank, out: heads * (nopeDim + vDim), std: std)
        oProj = Linear(store, p + ".o_proj", in: heads * vDim, out: d, std: residualStd)
        ropeBase = config.ropeBase
        ropeStyle = config.ropeStyle
        scale = 1 / T.squareRoot(T(qk))
    }

    // MARK: training

    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        let q = queries(g, x, offset: 0, folded: false)
        let (latent, ropeKey) = latentAndRopeKey(g, x, offset: 0)
        let (kNope, v) = expand(g, latent)
        let k = g.concat([kNope, g.broadcastHeads(ropeKey, heads: heads)])
        return oProj(g, g.mergeHeads(g.causalAttention(q, k, v, scale: scale)))
    }

    /// The query input u: x itself, or norm(W_DQ x) when the normalised bottleneck is kept.
    private func queryInput(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        if let qA, let qANorm { return qANorm(g, qA(g, x)) }
        return x
    }

    /// Per-head queries [B, H, T, d_nope + d_R] with RoPE on the last d_R. `folded` uses the
    /// inference projection prepared by `prepareForInference` instead of the trained factors.
    public func queries(_ g: Graph<T>, _ x: Tensor<T>, offset: Int, folded: Bool) -> Tensor<T> {
        let flat: Tensor<T>
        if folded {
            guard let denseQ else { preconditionFailure("MLA decode before prepareForInference()") }
            flat = g.matmul(queryInput(g, x), denseQ, transB: true)
        } else if let qProj {
            flat = qProj(g, x)
        } else {
            let compressed = qA!(g, x)
            flat = qB!(g, qANorm.map { $0(g, compressed) } ?? compressed)
        }
        return g.rope(g.splitHeads(flat, heads: heads), start: nopeDim, width: ropeDim,
                      positionOffset: offset, base: ropeBase, style: ropeStyle)
    }

    /// The cached quantities of x's tokens: norm(c_KV) as [B, 1, T, d_c] and the roped shared
    /// key as [B, 1, T, d_R].
    private func latentAndRopeKey(_ g: Graph<T>, _ x: Tensor<T>, offset: Int) -> (Tensor<T>, Tensor<T>) {
        let (b, t) = (x.shape[0], x.shape[1])
        let parts = g.split(kvA(g, x), [kvRank, ropeDim])
        let latent = g.reshape(kvANorm(g, parts[0]), [b, 1, t, kvRank])
        let ropeKey = g.rope(g.reshape(parts[1], [b, 1, t, ropeDim]), positionOffset: offset,
                             base: ropeBase, style: ropeStyle)
        return (latent, ropeKey)
    }

    /// Latents [B, 1, S, d_c] → per-head no-RoPE keys [B, H, S, d_nope] and values [B, H, S, d_v].
    private func expand(_ g: Graph<T>, _ latent: Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let (b, s) = (latent.shape[0], latent.shape[2])
        let kv = g.splitHeads(kvB(g, g.reshape(latent, [b, s, kvRank])), heads: heads)
        let parts = g.split(kv, [nopeDim, vDim])
        return (parts[0], parts[1])
    }

    // MARK: inference

    public func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T> {
        LayerKVCache(batch: batch, streams: [(1, kvRank), (1, ropeDim)], chunk: chunk)
    }

    public func prepareForInference() {
        let qk = qkDim
        // Dense query projection over u.
        let dq: Tensor<T>
        if let qProj {
            dq = qProj.weight
        } else if compression == .always {
            dq = qB!.weight
        } else {  // train-only: W_Q = W_UQ · W_DQ
            let (wa, wb) = (qA!.weight, qB!.weight)
            dq = Tensor<T>(zeros: [heads * qk, wa.shape[1]])
            T.gemm(transA: false, transB: false, m: heads * qk, n: wa.shape[1], k: qRank, alpha: 1,
                   a: wb.ptr, lda: qRank, b: wa.ptr, ldb: wa.shape[1], beta: 0, c: dq.ptr, ldc: wa.shape[1])
        }
        denseQ = dq
        let du = dq.shape[1], ukv = kvB.weight.ptr, kvRow = nopeDim + vDim
        let lq = Tensor<T>(zeros: [heads * kvRank, du]), rq = Tensor<T>(zeros: [heads * ropeDim, du])
        let d = oProj.outFeatures
        let lo = Tensor<T>(zeros: [d, heads * kvRank])
        for h in 0..<heads {
            // latentQ_h [d_c, du] = W_UK_hᵀ [d_c, d_nope] · Wq_nope_h [d_nope, du]
            T.gemm(transA: true, transB: false, m: kvRank, n: du, k: nopeDim, alpha: 1,
                   a: ukv + h * kvRow * kvRank, lda: kvRank, b: dq.ptr + h * qk * du, ldb: du,
                   beta: 0, c: lq.ptr + h * kvRank * du, ldc: du)
            (rq.ptr + h * ropeDim * du).update(from: dq.ptr + (h * qk + nopeDim) * du, count: ropeDim * du)
            // latentO[:, h·d_c ..< (h+1)·d_c] [d, d_c] = W_O[:, h·d_v ..<] [d, d_v] · W_UV_h [d_v, d_c]
            T.gemm(transA: false, transB: false, m: d, n: kvRank, k: vDim, alpha: 1,
                   a: oProj.weight.ptr + h * vDim, lda: heads * vDim, b: ukv + (h * kvRow + nopeDim) * kvRank, ldb: kvRank,
                   beta: 0, c: lo.ptr + h * kvRank, ldc: heads * kvRank)
        }
        latentQ = lq; ropeQ = rq; latentO = lo
    }

    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>, mode: MLADecodeMode) -> Tensor<T> {
        let offset = cache.length, total = offset + x.shape[1]
        let (latent, ropeKey) = latentAndRopeKey(g, x, offset: offset)
        cache.append([latent, ropeKey])
        switch mode {
        case .naive:
            let q = queries(g, x, offset: offset, folded: true)
            let (kNope, v) = expand(g, cache.streams[0].prefix(total, graph: g))
            let k = g.concat([kNope, g.broadcastHeads(cache.streams[1].prefix(total, graph: g), heads: heads)])
            return oProj(g, g.mergeHeads(g.causalAttention(q, k, v, scale: scale, positionOffset: offset)))
        case .absorbed:
            guard let latentQ, let ropeQ, let latentO else { preconditionFailure("MLA decode before prepareForInference()") }
            let u = queryInput(g, x)
            let qLatent = g.splitHeads(g.matmul(u, latentQ, transB: true), heads: heads)
            let qRope = g.rope(g.splitHeads(g.matmul(u, ropeQ, transB: true), heads: heads),
                               positionOffset: offset, base: ropeBase, style: ropeStyle)
            let o = g.latentAttention(qLatent: qLatent, qRope: qRope, latents: cache.streams[0],
                                      ropeKeys: cache.streams[1], length: total, scale: scale)
            return g.matmul(g.mergeHeads(o), latentO, transB: true)
        }
    }
}
