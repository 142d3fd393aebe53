/// One weight tensor, named as in HF Llama / DeepSeek-V3 checkpoints; matrices are [out, in].
public struct ParameterSpec: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    /// Elements; `Int.max` when the product does not fit in an `Int`.
    public var count: Int { SaturatingCount.product(shape).value }
    public var description: String { "\(name) \(shape)" }
}

extension ModelConfig {
    /// Every trainable tensor in a fixed order: embedding, then per layer input norm, attention,
    /// post-attention norm, MLP, then the final norm and (untied only) the output head.
    /// The model implementation asserts it creates exactly this list.
    public var parameterSpecs: [ParameterSpec] {
        var specs = [ParameterSpec(name: "embed_tokens.weight", shape: [vocabSize, dModel])]
        for i in 0..<max(nLayers, 0) {
            specs += layerParameterSpecs(prefix: "layers.\(i).")
        }
        specs.append(ParameterSpec(name: "norm.weight", shape: [dModel]))
        if !tieEmbeddings {
            specs.append(ParameterSpec(name: "lm_head.weight", shape: [vocabSize, dModel]))
        }
        return specs
    }

    /// One decoder block's tensors: input norm, attention, post-attention norm, MLP.
    private func layerParameterSpecs(prefix p: String) -> [ParameterSpec] {
        [ParameterSpec(name: p + "input_layernorm.weight", shape: [dModel])]
            + attentionParameterSpecs(prefix: p + "self_attn.")
            + [
                ParameterSpec(name: p + "post_attention_layernorm.weight", shape: [dModel]),
                ParameterSpec(name: p + "mlp.gate_proj.weight", shape: [mlpHidden, dModel]),
                ParameterSpec(name: p + "mlp.up_proj.weight", shape: [mlpHidden, dModel]),
                ParameterSpec(name: p + "mlp.down_proj.weight", shape: [dModel, mlpHidden]),
            ]
    }

    /// Sum of the element counts of one block's tensors (all of them, or matrices only),
    /// saturated: sizes are computed without building the per-layer list `nLayers` times.
    private func layerElements(matricesOnly: Bool = false) -> SaturatingCount {
        layerParameterSpecs(prefix: "").filter { !matricesOnly || $0.shape.count == 2 }
            .reduce(0) { $0 + SaturatingCount($1.count) }
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

    /// Trainable parameters (elements of `parameterSpecs`); `Int.max` when the count does not fit
    /// in an `Int` (validation rejects such configs).
    public var parameterCount: Int {
        (SaturatingCount.product([vocabSize, dModel, tieEmbeddings ? 1 : 2]) + nonEmbeddingElements).value
    }

    /// Total minus the token embedding and the untied output head (the "N" of 6N scaling laws).
    public var nonEmbeddingParameterCount: Int { nonEmbeddingElements.value }

    /// The blocks plus the final norm.
    private var nonEmbeddingElements: SaturatingCount { SaturatingCount(nLayers) * layerElements() + SaturatingCount(dModel) }

    /// The tensors of the model as served. An MLA train-only query bottleneck is linear, so
    /// inference multiplies it out into one dense `q_proj` [H*(d_nope+d_rope), d]; that is the
    /// q_lora_rank = 0 architecture. The fold grows the model when q_lora_rank is large relative
    /// to d and H*(d_nope+d_rope), and shrinks it otherwise.
    public var inferenceParameterSpecs: [ParameterSpec] { servedConfig.parameterSpecs }

    public var inferenceParameterCount: Int { servedConfig.parameterCount }

    /// The config as served: a train-only MLA query bottleneck folded (q_lora_rank 0).
    private var servedConfig: ModelConfig {
        guard attention.kind == .mla, attention.queryCompression == .trainOnly, attention.qLoraRank > 0 else {
            return self
        }
        var folded = self
        folded.attention.qLoraRank = 0
        return folded
    }

    /// Elements one token adds to one layer's KV cache (DeepSeek-V2 Table 1).
    public var kvElementsPerTokenPerLayer: Int { attention.kvElementsPerTokenPerLayer(headDim: headDim) }

    public var kvElementsPerToken: Int { (SaturatingCount(kvElementsPerTokenPerLayer) * SaturatingCount(nLayers)).value }

    /// Weights multiplied once per token in training mode: every matrix except the embedding
    /// lookup, plus the output projection (`lm_head`, or the embedding table when tied), both
    /// vocab x d.
    var matmulWeightsPerToken: SaturatingCount {
        SaturatingCount(nLayers) * layerElements(matricesOnly: true) + SaturatingCount.product([vocabSize, dModel])
    }

    /// Forward FLOPs for one token attending to `context` positions: 2 per weight in each
    /// matmul, plus QK^T scores and the value mix (2·H·(d_qk + d_v)·context per layer).
    /// `context` is the full sequence length T, not halved for the causal mask, matching
    /// nanoGPT's 12·L·H·Q·T term once tripled for training. `Int.max` when the count does not fit
    /// in an `Int`.
    public func forwardFLOPsPerToken(context: Int) -> Int { forwardFLOPs(context: context).value }

    private func forwardFLOPs(context: Int) -> SaturatingCount {
        let a = attention
        let qk = a.kind == .mla ? SaturatingCount(a.qkNopeHeadDim) + SaturatingCount(a.qkRopeHeadDim) : SaturatingCount(headDim)
        let v = SaturatingCount(a.kind == .mla ? a.vHeadDim : headDim)
        return 2 * matmulWeightsPerToken + SaturatingCount.product([nLayers, 2, a.nHeads, context]) * (qk + v)
    }

    /// Forward plus backward, the backward pass costing twice the forward (the "6N" rule);
    /// `Int.max` when the count does not fit in an `Int`.
    public func trainingFLOPsPerToken(context: Int) -> Int { (3 * forwardFLOPs(context: context)).value }
}

extension AttentionConfig {
    /// Elements one token adds to one layer's cache: K and V per KV head for the head-based
    /// kinds; the latent c_KV plus the shared RoPE key for MLA. `headDim` is the resolved
    /// width (`ModelConfig.headDim`), unused by MLA.
    public func kvElementsPerTokenPerLayer(headDim: Int) -> Int {
        let elements = kind == .mla
            ? SaturatingCount(kvLoraRank) + SaturatingCount(qkRopeHeadDim)
            : SaturatingCount.product([2, effectiveKVHeads, headDim])
        return elements.value
    }
}
