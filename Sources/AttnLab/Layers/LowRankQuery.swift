/// DeepSeek's query path, shared by the latent attentions (MLA; GLA, whose reference keeps it):
/// a dense `q_proj` when `q_lora_rank` is 0, otherwise `q_a_proj` then `q_b_proj` with RMSNorm
/// (`q_a_layernorm`) between them only in `always` mode (mla-facts.md section 1). In `train-only`
/// mode the bottleneck is linear, so inference folds it into one dense W_Q = W_UQ · W_DQ with
/// identical outputs. Output: per head [d_nope ; d_R] with RoPE on the last d_R.
public struct LowRankQuery<T: Scalar> {
    public let nHeads: Int, qkNopeHeadDim: Int, qkRopeHeadDim: Int, qLoraRank: Int
    public let qProj: Linear<T>?, qA: Linear<T>?, qANorm: RMSNormLayer<T>?, qB: Linear<T>?
    let ropeBase: Double, ropeStyle: RopeStyle
    var qkHeadDim: Int { qkNopeHeadDim + qkRopeHeadDim }

    public init(_ store: ParameterStore<T>, _ p: String, config: ModelConfig, qkNopeHeadDim: Int, std: Double) {
        let a = config.attention, d = config.dModel
        nHeads = a.nHeads; self.qkNopeHeadDim = qkNopeHeadDim; qkRopeHeadDim = a.qkRopeHeadDim; qLoraRank = a.qLoraRank
        let out = nHeads * (qkNopeHeadDim + qkRopeHeadDim)
        if qLoraRank > 0 {
            qProj = nil
            qA = Linear(store, p + ".q_a_proj", in: d, out: qLoraRank, std: std)
            qANorm = a.queryCompression == .always ? RMSNormLayer(store, p + ".q_a_layernorm", width: qLoraRank, eps: a.latentNormEps) : nil
            qB = Linear(store, p + ".q_b_proj", in: qLoraRank, out: out, std: std)
        } else {
            qProj = Linear(store, p + ".q_proj", in: d, out: out, std: std)
            qA = nil; qANorm = nil; qB = nil
        }
        ropeBase = config.ropeBase
        ropeStyle = config.ropeStyle
    }

    /// The input u of the inference projection: x itself, or norm(W_DQ x) when the normalised
    /// bottleneck is kept.
    public func input(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        if let qA, let qANorm { return qANorm(g, qA(g, x)) }
        return x
    }

    /// The dense inference projection over `input` [H·(d_nope+d_R), du]: folded (train-only),
    /// `q_b_proj` (always) or `q_proj`.
    public func inferenceWeight() -> Tensor<T> {
        if let qProj { return qProj.weight }
        let (wa, wb) = (qA!.weight, qB!.weight)
        if qANorm != nil { return wb }
        let rows = nHeads * qkHeadDim
        let dq = Tensor<T>(zeros: [rows, wa.shape[1]])
        T.gemm(transA: false, transB: false, m: rows, n: wa.shape[1], k: qLoraRank, alpha: 1,
               a: wb.ptr, lda: qLoraRank, b: wa.ptr, ldb: wa.shape[1], beta: 0, c: dq.ptr, ldc: wa.shape[1])
        return dq
    }

    /// Per-head queries [B, H, T, d_nope + d_R], roped on the last d_R, for positions offset ..<.
    /// With `inference`, the weight from `inferenceWeight()` replaces the trained factors.
    public func callAsFunction(_ g: Graph<T>, _ x: Tensor<T>, offset: Int, inference: Tensor<T>? = nil) -> Tensor<T> {
        let flat: Tensor<T>
        if let inference {
            flat = g.matmul(input(g, x), inference, transB: true)
        } else if let qProj {
            flat = qProj(g, x)
        } else {
            let compressed = qA!(g, x)
            flat = qB!(g, qANorm.map { $0(g, compressed) } ?? compressed)
        }
        return rope(g, g.splitHeads(flat, heads: nHeads), offset: offset)
    }

    /// RoPE on the last d_R of each head of [B, H, T, d_nope + d_R] (or of a d_R-wide tensor).
    public func rope(_ g: Graph<T>, _ heads: Tensor<T>, offset: Int) -> Tensor<T> {
        g.rope(heads, start: heads.lastDim - qkRopeHeadDim, width: qkRopeHeadDim,
               positionOffset: offset, base: ropeBase, style: ropeStyle)
    }

}

extension LowRankQuery {
    /// The config as served: a train-only bottleneck folded (q_lora_rank 0).
    static func served(_ config: ModelConfig) -> ModelConfig {
        var folded = config
        switch config.attention.queryCompression {
        case .trainOnly: folded.attention.qLoraRank = 0
        case .always: break
        }
        return folded
    }
}
