/// The layer interface every attention variant implements: a training forward over whole
/// sequences and an incremental decode against the layer's KV cache.
public protocol CausalSelfAttention<T>: AnyObject {
    associatedtype T: Scalar
    /// x [B, T, d] → [B, T, d], causal over T.
    func forward(_ g: Graph<T>, _ x: Tensor<T>) -> Tensor<T>
    /// An empty cache holding exactly what this variant keeps per token (its design's
    /// `cacheStreams`).
    func makeCache(batch: Int, chunk: Int) -> LayerKVCache<T>
    /// Folds weights for inference (for example MLA's query fold and absorption); call after the
    /// weights last changed and before `decode`.
    func prepareForInference()
    /// x [B, Tn, d]: the next Tn tokens, at positions cache.length ..< cache.length + Tn.
    func decode(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>) -> Tensor<T>
}
