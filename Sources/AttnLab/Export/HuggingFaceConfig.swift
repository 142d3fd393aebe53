/// The Hugging Face `config.json` of an AttnLab model, for transformers' `AutoModelForCausalLM`:
///
/// - MHA, GQA, MQA → `LlamaForCausalLM` (`model_type` `llama`): the same pre-norm blocks, SwiGLU
///   MLP, bias-free projections, half-split RoPE (`rotate_half`) and RMSNorm (`rms_norm_eps` =
///   `model.norm_eps` for every norm); `num_key_value_heads` = `n_heads`, `n_kv_heads` or 1;
///   `head_dim` explicit; `tie_word_embeddings` as trained.
/// - MLA → `DeepseekV3ForCausalLM` (`model_type` `deepseek_v3`) with dense layers only
///   (`first_k_dense_replace` = `num_hidden_layers`, so no MoE layer is built; the expert counts
///   are set to 1 and never used), `kv_lora_rank`, `qk_nope_head_dim`, `qk_rope_head_dim`,
///   `v_head_dim` as trained, `rope_interleave` true for `rope_style = interleaved`, false for
///   `half`, no RoPE scaling (so the softmax scale is `(qk_nope_head_dim + qk_rope_head_dim)^-0.5`,
///   AttnLab's). `q_lora_rank` is null for a dense query and for the linear `train-only`
///   bottleneck (exported folded into `q_proj`), the rank for `always` (`q_a_proj`,
///   `q_a_layernorm`, `q_b_proj`).
///
/// `bos_token_id`, `eos_token_id` and `pad_token_id` are null: AttnLab's vocabularies have no
/// special tokens, and a default end-of-sequence id would stop generation at an ordinary byte.
///
/// Source: transformers 5.24 `LlamaConfig`, `DeepseekV3Config`, `DeepseekV3Attention`.
public enum HuggingFaceConfig {
    /// The epsilon transformers' `DeepseekV3Attention` gives `q_a_layernorm` and `kv_a_layernorm`
    /// whatever the config says (and DeepSeek's own code uses).
    public static let deepseekLatentNormEps = 1e-6

    /// Why `model` has no exact transformers counterpart, or nil when it has one.
    public static func refusal(_ model: ModelConfig) -> String? {
        switch model.attention.kind {
        case .mha, .gqa, .mqa:
            if model.ropeStyle != .half {
                return "transformers' LlamaForCausalLM rotates RoPE pairs (x[i], x[i+d/2]) only; this run uses "
                    + "model.rope_style = \(model.ropeStyle.rawValue), so an exported Llama model would compute differently"
            }
        case .mla:
            if model.attention.latentNormEps != deepseekLatentNormEps {
                return "transformers' DeepseekV3Attention builds q_a_layernorm and kv_a_layernorm with eps 1e-6 whatever the "
                    + "config says; this run's latent norms use \(model.attention.latentNormEps) (model.attention.latent_norm_eps; "
                    + "runs stored before that key existed used model.norm_eps), so an exported model would compute differently"
            }
            if model.attention.qkRopeHeadDim == 0 {
                return "transformers' DeepseekV3Attention always applies RoPE to a decoupled key of qk_rope_head_dim > 0 (with 0 its "
                    + "forward fails); this run has model.attention.qk_rope_head_dim = 0 (no RoPE key), so no exported model would run"
            }
        case .gta, .gla:
            return "transformers has no \(model.attention.kind.rawValue.uppercased()) attention (Zadouri, Strauss and Dao 2025); "
                + "no exported model would compute what this run computes"
        }
        return nil
    }

    /// KV heads of an MHA/GQA/MQA model, as its attention design counts them.
    static func kvHeads(_ a: AttentionConfig) -> Int {
        (a.kind.design as? GroupedQueryDesign)?.family.kvHeads(a) ?? a.nHeads
    }

    /// The transformers class the model exports as.
    public static func architecture(_ model: ModelConfig) -> String {
        model.attention.kind == .mla ? "DeepseekV3ForCausalLM" : "LlamaForCausalLM"
    }

    /// `config.json` for `model`.
    ///
    /// - Throws: `ExportError` with `refusal(model)` when there is no exact counterpart.
    public static func make(_ model: ModelConfig) throws -> ExportJSON {
        if let why = refusal(model) { throw ExportError(why) }
        let a = model.attention
        let rope: ExportJSON = .object([("rope_type", .string("default")), ("rope_theta", .double(model.ropeBase))])
        var members: [(String, ExportJSON)] = [
            ("architectures", .array([.string(architecture(model))])),
            ("model_type", .string(a.kind == .mla ? "deepseek_v3" : "llama")),
            ("vocab_size", .int(model.vocabSize)),
            ("hidden_size", .int(model.dModel)),
            ("intermediate_size", .int(model.mlpHidden)),
            ("num_hidden_layers", .int(model.nLayers)),
            ("num_attention_heads", .int(a.nHeads)),
        ]
        switch a.kind {
        case .mha, .gqa, .mqa:
            members += [
                ("num_key_value_heads", .int(kvHeads(a))),
                ("head_dim", .int(model.headDim)),
                ("mlp_bias", .bool(false)),
            ]
        case .mla:
            let keepsBottleneck = a.qLoraRank > 0 && a.queryCompression == .always
            members += [
                ("num_key_value_heads", .int(a.nHeads)),
                ("q_lora_rank", keepsBottleneck ? .int(a.qLoraRank) : .null),
                ("kv_lora_rank", .int(a.kvLoraRank)),
                ("qk_nope_head_dim", .int(a.qkNopeHeadDim)),
                ("qk_rope_head_dim", .int(a.qkRopeHeadDim)),
                ("v_head_dim", .int(a.vHeadDim)),
                ("rope_interleave", .bool(model.ropeStyle == .interleaved)),
                ("first_k_dense_replace", .int(model.nLayers)),
                ("moe_intermediate_size", .int(model.mlpHidden)),
                ("n_routed_experts", .int(1)),
                ("n_shared_experts", .int(1)),
                ("num_experts_per_tok", .int(1)),
                ("n_group", .int(1)),
                ("topk_group", .int(1)),
                ("routed_scaling_factor", .double(1.0)),
                ("num_nextn_predict_layers", .int(0)),
            ]
        case .gta, .gla:
            throw ExportError(refusal(model) ?? "no transformers counterpart")
        }
        members += [
            ("hidden_act", .string("silu")),
            ("max_position_embeddings", .int(model.maxSeqLen)),
            ("rms_norm_eps", .double(model.normEps)),
            ("rope_parameters", rope),
            ("attention_bias", .bool(false)),
            ("attention_dropout", .double(0.0)),
            ("tie_word_embeddings", .bool(model.tieEmbeddings)),
            ("bos_token_id", .null),
            ("eos_token_id", .null),
            ("pad_token_id", .null),
            ("dtype", .string("float32")),
            ("use_cache", .bool(true)),
        ]
        return .object(members)
    }
}
