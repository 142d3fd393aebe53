/// The registry of attention variants: a kind's design, and the layers a block can hold.
extension AttentionKind {
    /// The design (parameter specs, cache, FLOPs, validation, formulas) of this kind.
    public var design: any AttentionDesign {
        switch self {
        case .mha: return GroupedQueryDesign(family: .mha)
        case .gqa: return GroupedQueryDesign(family: .gqa)
        case .mqa: return GroupedQueryDesign(family: .mqa)
        case .mla: return MultiHeadLatentDesign()
        case .gta: return GroupedTiedDesign()
        case .gla: return GroupedLatentDesign()
        }
    }

    /// Whether the layers compress keys and values into a latent c_KV normalised by
    /// `kv_a_layernorm` (`LatentAttentionLayer`), whose RMS the stability diagnostics record.
    public var hasKVLatent: Bool {
        switch self {
        case .mla, .gla: return true
        case .mha, .gqa, .mqa, .gta: return false
        }
    }
}

/// The attention layers a block can hold. An enum rather than an existential so that calls
/// are statically dispatched and specialised.
public enum AttentionVariant<T: Scalar> {
    case grouped(GroupedQueryAttention<T>)
    case latent(MultiHeadLatentAttention<T>)
    case tied(GroupedTiedAttention<T>)
    case groupedLatent(GroupedLatentAttention<T>)

    /// The layer behind the common interface (for tests and tools; hot paths use the methods below).
    public var layer: any CausalSelfAttention<T> {
        switch self {
        case .grouped(let a): return a
        case .latent(let a): return a
        case .tied(let a): return a
        case .groupedLatent(let a): return a
        }
    }

    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        switch self {
        case .grouped(let a): return a.forward(g, x)
        case .latent(let a): return a.forward(g, x)
        case .tied(let a): return a.forward(g, x)
        case .groupedLatent(let a): return a.forward(g, x)
        }
    }

    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>) -> Tensor<T> {
        switch self {
        case .grouped(let a): return a.decode(g, x, cache: cache)
        case .latent(let a): return a.decode(g, x, cache: cache)
        case .tied(let a): return a.decode(g, x, cache: cache)
        case .groupedLatent(let a): return a.decode(g, x, cache: cache)
        }
    }

    /// Sets the decoding path of a latent variant (MLA, GLA); the others have one path.
    public func useLatentDecode(_ mode: LatentDecodeMode) {
        switch self {
        case .grouped, .tied: break
        case .latent(let a): a.decodeMode = mode
        case .groupedLatent(let a): a.decodeMode = mode
        }
    }

    public func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T> { layer.makeCache(batch: batch, chunk: chunk) }
    public func prepareForInference() { layer.prepareForInference() }
}
