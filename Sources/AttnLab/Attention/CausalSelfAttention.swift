/// How MLA decodes from its latent cache (facts file, section 1).
public enum MLADecodeMode: String, Sendable, CaseIterable {
    /// Decompress the cached latents to per-head K and V at every step.
    case naive
    /// W_UK folded into the query side and W_UV into the output side: attention runs in the
    /// latent space and no K or V is materialised.
    case absorbed
}

/// The interface every attention variant implements: a training forward over whole sequences
/// and an incremental decode against the layer's KV cache.
public protocol CausalSelfAttention<T>: AnyObject {
    associatedtype T: Scalar
    /// x [B, T, d] → [B, T, d], causal over T.
    func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T>
    /// An empty cache holding exactly what this variant keeps per token.
    func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T>
    /// Folds weights for inference (MLA's query fold and absorption); call after the weights
    /// last changed and before `decode`.
    func prepareForInference()
    /// x [B, Tn, d]: the next Tn tokens, at positions cache.length ..< cache.length + Tn.
    func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>, mode: MLADecodeMode) -> Tensor<T>
}

/// The attention variants a block can hold. An enum rather than an existential so that calls
/// are statically dispatched and specialised.
public enum AttentionVariant<T: Scalar> {
    case grouped(GroupedQueryAttention<T>)
    case latent(MultiHeadLatentAttention<T>)

    /// The layer behind the common interface (for tests and tools; hot paths use the methods below).
    public var layer: any CausalSelfAttention<T> {
        switch self {
        case .grouped(let a): return a
        case .latent(let a): return a
        }
    }

    public func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T> {
        switch self {
        case .grouped(let a): return a.forward(g, x)
        case .latent(let a): return a.forward(g, x)
        }
    }

    public func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>, mode: MLADecodeMode) -> Tensor<T> {
        switch self {
        case .grouped(let a): return a.decode(g, x, cache: cache, mode: mode)
        case .latent(let a): return a.decode(g, x, cache: cache, mode: mode)
        }
    }

    public func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T> { layer.makeCache(batch: batch, chunk: chunk) }
    public func prepareForInference() { layer.prepareForInference() }
}
