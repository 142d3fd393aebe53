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
    /// Every trainable tensor in creation order: embedding, then per layer input norm, attention,
    /// post-attention norm, MLP, then the final norm and (untied only) the output head. Derived
    /// by building the model on a recording store (one block, renamed per layer), so it cannot
    /// differ from what `DecoderLM` creates.
    public var parameterSpecs: [ParameterSpec] {
        let outer = recordedSpecs { var c = $0; c.nLayers = 0; _ = DecoderLM<Float>(c, store: $1) }
        let block = layerParameterSpecs
        var specs = [outer[0]]
        for i in 0..<max(nLayers, 0) {
            specs += block.map { ParameterSpec(name: "layers.\(i)." + $0.name.dropFirst("layers.0.".count), shape: $0.shape) }
        }
        return specs + outer.dropFirst()
    }

    /// The tensors `build` creates on a recording store, for this config.
    private func recordedSpecs(_ build: (ModelConfig, ParameterStore<Float>) -> Void) -> [ParameterSpec] {
        let store = ParameterStore<Float>(recordingShapes: ())
        build(self, store)
        return store.shapes.map { ParameterSpec(name: $0.name, shape: $0.shape) }
    }

    /// Block 0's tensors: input norm, attention, post-attention norm, MLP.
    private var layerParameterSpecs: [ParameterSpec] {
        recordedSpecs { _ = DecoderBlock<Float>($1, index: 0, config: $0, std: 0, residualStd: 0) }
    }

    /// Sum of the element counts of one block's tensors (all of them, or matrices only),
    /// saturated: sizes are computed without building the per-layer list `nLayers` times.
    private func layerElements(matricesOnly: Bool = false) -> SaturatingCount {
        layerParameterSpecs.filter { !matricesOnly || $0.shape.count == 2 }
            .reduce(0) { $0 + SaturatingCount($1.count) }
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

    /// The tensors of the model as served, after the attention's inference folding (for example
    /// an MLA train-only query bottleneck multiplied out into one dense `q_proj`).
    public var inferenceParameterSpecs: [ParameterSpec] { servedConfig.parameterSpecs }

    public var inferenceParameterCount: Int { servedConfig.parameterCount }

    private var servedConfig: ModelConfig { attention.kind.design.served(self) }

    /// Elements one token adds to one layer's KV cache (DeepSeek-V2 Table 1): the sum of the
    /// attention's cache streams. `Int.max` when it does not fit in an `Int`.
    public var kvElementsPerTokenPerLayer: Int {
        attention.kind.design.cacheStreams(self).reduce(0) { $0 + SaturatingCount($1.elements) }.value
    }

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
        let widths = attention.kind.design.flopWidths(self)
        return 2 * matmulWeightsPerToken
            + SaturatingCount.product([nLayers, 2, attention.nHeads, context]) * (SaturatingCount(widths.qk) + SaturatingCount(widths.v))
    }

    /// Forward plus backward, the backward pass costing twice the forward (the "6N" rule);
    /// `Int.max` when the count does not fit in an `Int`.
    public func trainingFLOPsPerToken(context: Int) -> Int { (3 * forwardFLOPs(context: context)).value }

    /// The part of `trainingFLOPsPerToken` done by weight matrix products (projections, MLP, LM
    /// head; 6 per weight: 2 forward, 4 backward), i.e. without the attention's scores and value
    /// mix. What `attnlab bench` divides by the `matmul` phase's time. `Int.max` on overflow.
    public var trainingMatmulFLOPsPerToken: Int { (6 * matmulWeightsPerToken).value }
}
