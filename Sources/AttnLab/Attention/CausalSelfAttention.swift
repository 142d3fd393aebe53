/// The layer interface every attention variant implements: a training forward over whole
/// sequences and an incremental decode against the layer's KV cache.
public protocol CausalSelfAttention<T>: AnyObject {
    associatedtype T: Scalar
    /// x [B, T, d] → [B, T, d], causal over T.
    func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T>
    /// What one token adds to the layer's cache (its design's `cacheStreams`).
    var cacheStreams: [CacheStreamShape] { get }
    /// Folds weights for inference (for example MLA's query fold and absorption); call after the
    /// weights last changed and before `decode`.
    func prepareForInference()
    /// x [B, Tn, d]: the next Tn tokens, at positions cache.length ..< cache.length + Tn.
    func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>) -> Tensor<T>
}

extension CausalSelfAttention {
    /// An empty cache holding exactly `cacheStreams` per token.
    public func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T> {
        LayerKVCache(batch: batch, streams: cacheStreams, chunk: chunk)
    }

    /// Nothing to fold unless a variant says otherwise.
    public func prepareForInference() {}
}
