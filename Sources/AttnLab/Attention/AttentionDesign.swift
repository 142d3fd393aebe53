/// Everything besides the layer that the code knows about one attention variant, stated once in
/// the variant's own file (ARCHITECTURE.md, "one room per variant"). `AttentionKind.design`
/// gives the design of a configured kind.
public protocol AttentionDesign: Sendable {
    /// Builds the layer with its parameters named under `prefix` (`layers.3.self_attn`).
    func makeLayer<T: Scalar>(
        _ store: ParameterStore<T>, _ prefix: String, config: ModelConfig, std: Double, residualStd: Double
    ) -> AttentionVariant<T>

    /// Rejects attention settings the layer cannot be built from (the model-level keys are
    /// already checked); errors name the TOML key (`model.attention.…`).
    func validate(_ config: ModelConfig) throws

    /// What one token adds to one layer's cache: (groups, width) per stream. The layer's
    /// `makeCache` and every KV-size figure use this list.
    func cacheStreams(_ config: ModelConfig) -> [CacheStreamShape]

    /// Per-head widths entering the attention FLOPs: scores over `qk`, value mix over `v`.
    func flopWidths(_ config: ModelConfig) -> (qk: Int, v: Int)

    /// Activation elements one token keeps in one layer's attention for the backward pass
    /// (projections, scores' inputs, outputs), for the memory estimate.
    func activationElements(_ config: ModelConfig) -> Double

    /// The config as served: what inference folding (if any) turns the trained model into.
    func served(_ config: ModelConfig) -> ModelConfig

    /// The variant's KV-cache expression in DeepSeek-V2 Table 1's notation ("2 n_h d_h l").
    var formula: String { get }
    /// The expression with the model's numbers, without the total ("2 × 16 × 128 × 27").
    func formulaFactors(_ config: ModelConfig) -> String
    /// Heads and widths in a few words ("MLA, 16 heads, d_c 512, d_R 64").
    func shapeSummary(_ config: ModelConfig) -> String
    /// The left side of the GQA-group equivalence ("(d_c + d_R) / (2 d_h)").
    var groupEquivalence: String { get }
    /// Per-head width of the MHA a figure is compared with, and the heads' output width (which
    /// sets d_model when a preset does not state it).
    func baselineHeadDim(_ config: ModelConfig) -> Int
    func outputHeadDim(_ config: ModelConfig) -> Int

    /// The `attnlab kv` ad-hoc options this variant reads, and how they fill its config.
    var kvOptions: [KVOption] { get }
    func applyKVOptions(_ options: KVOptionValues, headDim: Int, to attention: inout AttentionConfig) throws
}

extension AttentionDesign {
    public func served(_ config: ModelConfig) -> ModelConfig { config }
    public var groupEquivalence: String { "elements per layer / (2 d_h)" }
    public func baselineHeadDim(_ config: ModelConfig) -> Int { config.headDim }
    public func outputHeadDim(_ config: ModelConfig) -> Int { config.headDim }
}

/// Options of `attnlab kv --kind …` beyond layers, heads and head width.
public enum KVOption: String, Sendable, CaseIterable {
    case kvHeads = "--kv-heads", kvLoraRank = "--kv-lora-rank", ropeDim = "--rope-dim", latentHeads = "--latent-heads"
}

/// The values given for `KVOption`s (nil: not given).
public struct KVOptionValues: Sendable {
    public var kvHeads: Int?, kvLoraRank: Int?, ropeDim: Int?, latentHeads: Int?
    public init(kvHeads: Int? = nil, kvLoraRank: Int? = nil, ropeDim: Int? = nil, latentHeads: Int? = nil) {
        self.kvHeads = kvHeads; self.kvLoraRank = kvLoraRank; self.ropeDim = ropeDim; self.latentHeads = latentHeads
    }

    public func value(_ option: KVOption) -> Int? {
        switch option {
        case .kvHeads: return kvHeads
        case .kvLoraRank: return kvLoraRank
        case .ropeDim: return ropeDim
        case .latentHeads: return latentHeads
        }
    }
}
