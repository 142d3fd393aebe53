/// One weight tensor, named as in HF Llama / DeepSeek-V3 checkpoints; matrices are [out, in].
public struct ParameterSpec: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    public var count: Int { shape.reduce(1, *) }
    public var description: String { "\(name) \(shape)" }
}

extension ModelConfig {
    /// Every trainable tensor in a fixed order: embedding, then per layer input norm, attention,
    /// post-attention norm, MLP, then the final norm and (untied only) the output head.
    /// The model implementation asserts it creates exactly this list.
    public var parameterSpecs: [ParameterSpec] {
        var specs = [ParameterSpec(name: "embed_tokens.weight", shape: [vocabSize, dModel])]
        for i in 0..<nLayers {
            let p = "layers.\(i)."
            specs.append(ParameterSpec(name: p + "input_layernorm.weight", shape: [dModel]))
            specs += attentionParameterSpecs(prefix: p + "self_attn.")
            specs.append(ParameterSpec(name: p + "post_attention_layernorm.weight", shape: [dModel]))
            specs.append(ParameterSpec(name: p + "mlp.gate_proj.weight", shape: [mlpHidden, dModel]))
            specs.append(ParameterSpec(name: p + "mlp.up_proj.weight", shape: [mlpHidden, dModel]))
            specs.append(ParameterSpec(name: p + "mlp.down_proj.weight", shape: [dModel, mlpHidden]))
        }
        specs.append(ParameterSpec(name: "norm.weight", shape: [dModel]))
        if !tieEmbeddings {
            specs.append(ParameterSpec(name: "lm_head.weight", shape: [vocabSize, dModel]))
        }
        return specs
    }

    private func attentionParameterSpecs(prefix p: String) -> [ParameterSpec] {
        let a = attention
        let d = dModel
        guard a.kind == .mla else {
            let q = a.nHeads * headDim, kv = a.effectiveKVHeads * headDim
            return [
                ParameterSpec(name: p + "q_proj.weight", shape: [q, d]),
                ParameterSpec(name: p + "k_proj.weight", shape: [kv, d]),
                ParameterSpec(name: p + "v_proj.weight", shape: [kv, d]),
                ParameterSpec(name: p + "o_proj.weight", shape: [d, q]),
            ]
        }
        let qHead = a.nHeads * (a.qkNopeHeadDim + a.qkRopeHeadDim)
        var specs: [ParameterSpec] = []
        if a.qLoraRank > 0 {
            specs.append(ParameterSpec(name: p + "q_a_proj.weight", shape: [a.qLoraRank, d]))
            // Only DeepSeek's own variant normalises c_Q; the train-only bottleneck stays linear
            // so that it can be folded into one matrix.
            if a.queryCompression == .always {
                specs.append(ParameterSpec(name: p + "q_a_layernorm.weight", shape: [a.qLoraRank]))
            }
            specs.append(ParameterSpec(name: p + "q_b_proj.weight", shape: [qHead, a.qLoraRank]))
        } else {
            specs.append(ParameterSpec(name: p + "q_proj.weight", shape: [qHead, d]))
        }
        specs += [
            ParameterSpec(name: p + "kv_a_proj_with_mqa.weight", shape: [a.kvLoraRank + a.qkRopeHeadDim, d]),
            ParameterSpec(name: p + "kv_a_layernorm.weight", shape: [a.kvLoraRank]),
            ParameterSpec(name: p + "kv_b_proj.weight", shape: [a.nHeads * (a.qkNopeHeadDim + a.vHeadDim), a.kvLoraRank]),
            ParameterSpec(name: p + "o_proj.weight", shape: [d, a.nHeads * a.vHeadDim]),
        ]
        return specs
    }

    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.count } }

    /// Total minus the token embedding and the untied output head (the "N" of 6N scaling laws).
    public var nonEmbeddingParameterCount: Int {
        parameterCount - vocabSize * dModel * (tieEmbeddings ? 1 : 2)
    }

    /// The tensors of the model as served. An MLA train-only query bottleneck is linear, so
    /// inference multiplies it out into one dense `q_proj` [H*(d_nope+d_rope), d]; that is the
    /// q_lora_rank = 0 architecture. The fold grows the model when q_lora_rank is large relative
    /// to d and H*(d_nope+d_rope), and shrinks it otherwise.
    public var inferenceParameterSpecs: [ParameterSpec] {
        guard attention.kind == .mla, attention.queryCompression == .trainOnly, attention.qLoraRank > 0 else {
            return parameterSpecs
        }
        var folded = self
        folded.attention.qLoraRank = 0
        return folded.parameterSpecs
    }

    public var inferenceParameterCount: Int { inferenceParameterSpecs.reduce(0) { $0 + $1.count } }

    /// Elements one token adds to one layer's KV cache (DeepSeek-V2 Table 1).
    public var kvElementsPerTokenPerLayer: Int { attention.kvElementsPerTokenPerLayer(headDim: headDim) }

    public var kvElementsPerToken: Int { kvElementsPerTokenPerLayer * nLayers }

    /// Weights multiplied once per token in training mode: every matrix except the embedding
    /// lookup, plus the output projection, which reuses the embedding table when tied.
    var matmulWeightsPerToken: Int {
        let matrices = parameterSpecs.filter { $0.shape.count == 2 && $0.name != "embed_tokens.weight" }
        let head = tieEmbeddings ? vocabSize * dModel : 0
        return matrices.reduce(head) { $0 + $1.count }
    }

    /// Forward FLOPs for one token attending to `context` positions: 2 per weight in each
    /// matmul, plus QK^T scores and the value mix (2·H·(d_qk + d_v)·context per layer).
    /// `context` is the full sequence length T, not halved for the causal mask, matching
    /// nanoGPT's 12·L·H·Q·T term once tripled for training.
    public func forwardFLOPsPerToken(context: Int) -> Int {
        let a = attention
        let qk = a.kind == .mla ? a.qkNopeHeadDim + a.qkRopeHeadDim : headDim
        let v = a.kind == .mla ? a.vHeadDim : headDim
        return 2 * matmulWeightsPerToken + nLayers * 2 * a.nHeads * (qk + v) * context
    }

    /// Forward plus backward, the backward pass costing twice the forward (the "6N" rule).
    public func trainingFLOPsPerToken(context: Int) -> Int { 3 * forwardFLOPsPerToken(context: context) }
}

extension AttentionConfig {
    /// Elements one token adds to one layer's cache: K and V per KV head for the head-based
    /// kinds; the latent c_KV plus the shared RoPE key for MLA. `headDim` is the resolved
    /// width (`ModelConfig.headDim`), unused by MLA.
    public func kvElementsPerTokenPerLayer(headDim: Int) -> Int {
        kind == .mla ? kvLoraRank + qkRopeHeadDim : 2 * effectiveKVHeads * headDim
    }
}
