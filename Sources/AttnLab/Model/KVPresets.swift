/// The multi-head attention a KV figure is measured against: the paper compares each MLA model
/// with a specific MHA model, which need not share its head count.
public struct MHABaseline: Sendable, Equatable {
    public var label: String
    public var heads: Int
    public var headDim: Int
    public var layers: Int

    public init(label: String, heads: Int, headDim: Int, layers: Int) {
        self.label = label
        self.heads = heads
        self.headDim = headDim
        self.layers = layers
    }

    public var kvElementsPerToken: Int { 2 * heads * headDim * layers }
}

/// Storage formats for the cache, by bytes per element.
public enum KVPrecision: String, Sendable, CaseIterable {
    case fp32, bf16, fp8

    public var bytesPerElement: Int {
        switch self {
        case .fp32: return 4
        case .bf16: return 2
        case .fp8: return 1
        }
    }
}

/// An attention stack described only as far as its KV cache needs: no MLP, no MoE.
public struct KVModel: Sendable, Equatable {
    public var name: String
    public var source: String
    /// Head-based kinds carry an explicit `headDim`; MLA uses its latent widths.
    public var attention: AttentionConfig
    public var layers: Int
    /// Model width when the source states it; only used to check the preset is buildable.
    public var dModel: Int?
    public var baseline: MHABaseline

    public init(
        name: String, source: String, attention: AttentionConfig, layers: Int, dModel: Int? = nil,
        baseline: MHABaseline? = nil
    ) {
        self.name = name
        self.source = source
        self.attention = attention
        self.layers = layers
        self.dModel = dModel
        let dh = attention.kind.design.baselineHeadDim(Self.modelConfig(attention, layers: layers, dModel: dModel))
        self.baseline = baseline
            ?? MHABaseline(label: "MHA \(attention.nHeads)×\(dh)", heads: attention.nHeads, headDim: dh, layers: layers)
    }

    /// A ModelConfig with this attention, so presets go through the same validation as
    /// trainable models. The width defaults to the heads' total output width when unknown.
    public var modelConfig: ModelConfig { Self.modelConfig(attention, layers: layers, dModel: dModel) }

    private static func modelConfig(_ attention: AttentionConfig, layers: Int, dModel: Int?) -> ModelConfig {
        var config = ModelConfig()
        config.nLayers = layers
        config.attention = attention
        config.dModel = dModel ?? attention.nHeads * attention.kind.design.outputHeadDim(config)
        return config
    }

    public var kvElementsPerTokenPerLayer: Int { modelConfig.kvElementsPerTokenPerLayer }
    public var kvElementsPerToken: Int { kvElementsPerTokenPerLayer * layers }
    public func bytesPerToken(_ precision: KVPrecision) -> Int { kvElementsPerToken * precision.bytesPerElement }

    /// Fraction of the baseline MHA cache this model keeps (the paper's 14% and 4%).
    public var ratioToMHA: Double { Double(kvElementsPerToken) / Double(baseline.kvElementsPerToken) }

    /// Number of GQA groups with the baseline head width whose cache is the same size:
    /// (d_c + d_R) / (2 d_h) for MLA, 2.25 for DeepSeek-V2.
    public var equivalentGQAGroups: Double {
        Double(kvElementsPerTokenPerLayer) / Double(2 * baseline.headDim)
    }

    /// DeepSeek-V2 Table 1's expression for this kind (or the paper's for later kinds).
    public var formula: String { attention.kind.design.formula }

    /// The formula with this model's numbers put in, ending in the total.
    public var substitutedFormula: String {
        attention.kind.design.formulaFactors(modelConfig) + " × \(layers) = " + grouped(kvElementsPerToken)
    }

    /// Heads and widths in a few words, e.g. "MLA, 16 heads, d_c 512, d_R 64, 27 layers".
    public var shapeSummary: String { attention.kind.design.shapeSummary(modelConfig) + ", \(layers) layers" }
}

public struct KVPresetError: Error, Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public var description: String {
        "unknown KV preset \"\(name)\"; valid presets: " + KVPresets.names.joined(separator: ", ")
    }
}

public enum KVPresets {
    public static let all: [KVModel] = released + ablations

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) throws -> KVModel {
        guard let model = all.first(where: { $0.name == name }) else { throw KVPresetError(name: name) }
        return model
    }

    /// An attention given on the command line; the kind's design fills its own options (MLA:
    /// DeepSeek-V2's proportions d_c = 4 d_h, d_R = d_h / 2, d_nope = d_v = d_h).
    public static func custom(
        kind: AttentionKind, layers: Int, heads: Int, headDim: Int = 128, options: KVOptionValues = KVOptionValues()
    ) throws -> KVModel {
        var a = AttentionConfig()
        a.kind = kind
        a.nHeads = heads
        a.headDim = headDim
        try kind.design.applyKVOptions(options, headDim: headDim, to: &a)
        let model = KVModel(name: "custom-\(kind.rawValue)", source: "given on the command line", attention: a, layers: layers)
        try model.modelConfig.validate()
        return model
    }

    // Facts file section 4: the published attention hyper-parameters.
    static let released: [KVModel] = [
        mla("deepseek-v2", d: 5120, heads: 128, qLora: 1536, layers: 60,
            source: "DeepSeek-V2 (arXiv 2405.04434) released config; 236B MoE"),
        mla("deepseek-v2-lite", d: 2048, heads: 16, qLora: 0, layers: 27,
            source: "DeepSeek-V2-Lite released config; dense q_proj, 16B MoE"),
        mla("deepseek-v3", d: 7168, heads: 128, qLora: 1536, layers: 61,
            source: "DeepSeek-V3 (arXiv 2412.19437) released config; 671B MoE"),
        mla("kimi-k2", d: 7168, heads: 64, qLora: 1536, layers: 61,
            source: "Kimi K2 config copies (DeepSeek-V3 attention with 64 heads); 1T MoE"),
    ]

    // Facts file section 3, DeepSeek-V2 appendix D Table 9. The paper gives the large MHA only as
    // n_h·d_h = 7168; the MLA head counts are the matching released models' and leave MLA's
    // cache unchanged.
    static let ablations: [KVModel] = {
        let smallMHA = mha("dsv2-small-mha", heads: 16, layers: 27,
                           source: "DeepSeek-V2 appx D Table 9, small MoE with MHA (110.6K)")
        let largeMHA = mha("dsv2-large-mha", heads: 56, layers: 60,
                           source: "DeepSeek-V2 appx D Table 9, large MoE with MHA, n_h·d_h = 7168 (860.2K)")
        let smallMLA = mla("dsv2-small-mla", d: nil, heads: 16, qLora: 0, layers: 27,
                           source: "DeepSeek-V2 appx D Table 9, small MoE with MLA (15.6K)", baseline: smallMHA)
        let largeMLA = mla("dsv2-large-mla", d: nil, heads: 128, qLora: 1536, layers: 60,
                           source: "DeepSeek-V2 appx D Table 9, large MoE with MLA (34.6K)", baseline: largeMHA)
        return [smallMHA, smallMLA, largeMHA, largeMLA]
    }()

    private static func mha(_ name: String, heads: Int, layers: Int, source: String) -> KVModel {
        var a = AttentionConfig()
        a.kind = .mha
        a.nHeads = heads
        a.nKVHeads = heads
        a.headDim = 128
        return KVModel(name: name, source: source, attention: a, layers: layers)
    }

    private static func baseline(of model: KVModel) -> MHABaseline {
        MHABaseline(label: model.name, heads: model.attention.nHeads, headDim: model.attention.headDim, layers: model.layers)
    }

    /// All DeepSeek-style MLA presets share d_c 512, d_R 64, d_nope = d_v = 128.
    private static func mla(
        _ name: String, d: Int?, heads: Int, qLora: Int, layers: Int, source: String, baseline: KVModel? = nil
    ) -> KVModel {
        var a = AttentionConfig()
        a.kind = .mla
        a.nHeads = heads
        a.kvLoraRank = 512
        a.qkRopeHeadDim = 64
        a.qkNopeHeadDim = 128
        a.vHeadDim = 128
        a.qLoraRank = qLora
        a.queryCompression = qLora > 0 ? .always : .trainOnly
        return KVModel(
            name: name, source: source, attention: a, layers: layers, dModel: d,
            baseline: baseline.map(Self.baseline(of:)))
    }
}

extension KVModel {
    /// The KV figures of a trainable model (for example one run of an experiment), compared with
    /// an MHA of the same heads and head width.
    public init(name: String, source: String, config: ModelConfig) {
        self.init(name: name, source: source, attention: config.attention, layers: config.nLayers, dModel: config.dModel)
    }
}
