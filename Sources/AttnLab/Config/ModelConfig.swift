/// Which attention a model uses. `mqa` is GQA with one KV head; `mla` is DeepSeek's multi-head
/// latent attention; `gta` and `gla` are grouped-tied and grouped latent attention (Zadouri et
/// al. 2025). Each kind's design is `AttentionKind.design` (Attention/).
public enum AttentionKind: String, Codable, Sendable, CaseIterable {
    case mha, gqa, mqa, mla, gta, gla
}

/// How MLA treats its low-rank query path (facts file, section 1).
public enum QueryCompression: String, Codable, Sendable, CaseIterable {
    /// A linear bottleneck `W_UQ W_DQ` in training, folded into one dense `W_Q` at inference.
    case trainOnly = "train-only"
    /// DeepSeek-V2/V3: RMSNorm on `c_Q`, bottleneck kept at inference.
    case always
}

/// RoPE pairing: `half` rotates (x[i], x[i + d/2]) (GPT-NeoX / Llama); `interleaved` rotates
/// (x[2i], x[2i+1]) (GPT-J, HF DeepSeek-V3's default).
public enum RopeStyle: String, Codable, Sendable, CaseIterable {
    case half, interleaved
}

public struct AttentionConfig: Codable, Sendable, Equatable {
    public var kind: AttentionKind = .mha
    public var nHeads: Int = 8
    /// KV heads for `gqa` (tied KV heads for `gta`); `mha` uses `nHeads` and `mqa` uses 1
    /// whatever is set here.
    public var nKVHeads: Int = 2
    /// Per-head width for MHA/GQA/MQA; 0 means `dModel / nHeads`.
    public var headDim: Int = 0
    // MLA and GLA
    /// Width of the whole KV latent (GLA: of all latent heads together).
    public var kvLoraRank: Int = 64
    /// 0 = no query compression (a dense `q_proj`, as in DeepSeek-V2-Lite).
    public var qLoraRank: Int = 128
    public var qkNopeHeadDim: Int = 32
    public var qkRopeHeadDim: Int = 16
    public var vHeadDim: Int = 32
    public var queryCompression: QueryCompression = .trainOnly
    /// GLA: latent heads h_c, each kv_lora_rank / h_c wide and serving n_heads / h_c query
    /// heads (GLA-2: 2).
    public var nLatentHeads: Int = 2
    // GTA
    /// Width of GTA's single-head RoPE key and of each query's roped part (the repository's
    /// `rope_dim`); 0 means head_dim / 2.
    public var ropeDim: Int = 0
    /// MLA and GLA: epsilon of the RMSNorms on the latents (`kv_a_layernorm` on c_KV and, in `always`
    /// mode, `q_a_layernorm` on c_Q); key `model.attention.latent_norm_eps`. DeepSeek's code and
    /// transformers' `DeepseekV3Attention` use 1e-6 there whatever `rms_norm_eps` says, so that is
    /// the default. Run files written before this key existed used `model.norm_eps` for these
    /// norms and are read back that way (`ExperimentConfig(resolvedTOML:)`).
    public var latentNormEps: Double = 1e-6

    public init() {}
}

public struct ModelConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int = 256
    public var dModel: Int = 256
    public var nLayers: Int = 4
    /// SwiGLU hidden width.
    public var mlpHidden: Int = 683
    public var maxSeqLen: Int = 256
    public var ropeBase: Double = 10000
    public var ropeStyle: RopeStyle = .half
    public var tieEmbeddings: Bool = true
    public var normEps: Double = 1e-5
    public var attention = AttentionConfig()

    public init() {}

    /// Head width of MHA/GQA/MQA.
    public var headDim: Int { attention.headDim > 0 ? attention.headDim : dModel / max(attention.nHeads, 1) }
}
