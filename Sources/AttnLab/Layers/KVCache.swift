/// One cached quantity of one layer, laid out [B, groups, capacity, width] so that a prefix of
/// `length` tokens of each (batch, group) is contiguous. MHA/GQA/MQA keep two streams (K and V,
/// groups = KV heads); MLA keeps its latent c_KV and its shared RoPE key (groups = 1).
public final class CacheStream<T: Scalar> {
    public let batch: Int, groups: Int, width: Int
    public private(set) var capacity = 0
    public private(set) var storage: Buffer<T>

    init(batch: Int, groups: Int, width: Int) {
        self.batch = batch; self.groups = groups; self.width = width
        storage = Buffer<T>(count: 0)
    }

    /// The whole buffer as a tensor [B, groups, capacity, width]; rows past the cache's length
    /// are zero and ignored by causal attention.
    public var tensor: Tensor<T> { Tensor(shape: [batch, groups, capacity, width], data: storage) }

    func grow(to newCapacity: Int, keeping length: Int) {
        let fresh = Buffer<T>(count: batch * groups * newCapacity * width)
        fresh.zero()
        for bg in 0..<(batch * groups) where length > 0 {
            (fresh.pointer + bg * newCapacity * width).update(from: storage.pointer + bg * capacity * width, count: length * width)
        }
        storage = fresh
        capacity = newCapacity
    }

    /// Writes `tokens` new rows at position `at` from a contiguous [B, groups, tokens, width] source.
    func write(_ src: UnsafePointer<T>, tokens: Int, at: Int) {
        precondition(at + tokens <= capacity, "cache write past capacity")
        for bg in 0..<(batch * groups) {
            (storage.pointer + (bg * capacity + at) * width).update(from: src + bg * tokens * width, count: tokens * width)
        }
    }
}

/// One cached quantity per token: `groups` vectors of `width` elements (K of 2 KV heads of 64:
/// groups 2, width 64).
public struct CacheStreamShape: Sendable, Equatable {
    public var groups: Int, width: Int
    public init(groups: Int, width: Int) { self.groups = groups; self.width = width }
    /// Elements per token; `Int.max` when the product does not fit in an `Int`.
    public var elements: Int { SaturatingCount.product([groups, width]).value }
}

/// A layer's KV cache. It grows by whole chunks of tokens, never per token, up to `tokenLimit`
/// (the model's max_seq_len, set by `DecoderLM.makeCache`), and reports the bytes it holds.
public final class LayerKVCache<T: Scalar> {
    public let streams: [CacheStream<T>]
    public let chunk: Int
    public private(set) var length = 0
    /// The most tokens the cache is expected to hold: growth by a whole chunk stops here, so a
    /// model with max_seq_len 32 and chunk 64 allocates 32 rows, not 64. A request past it still
    /// gets exactly the rows it needs.
    public var tokenLimit = Int.max

    public init(batch: Int, streams: [CacheStreamShape], chunk: Int = 64) {
        precondition(chunk > 0, "cache chunk must be positive")
        self.streams = streams.map { CacheStream(batch: batch, groups: $0.groups, width: $0.width) }
        self.chunk = chunk
    }

    public var capacity: Int { streams.first?.capacity ?? 0 }
    /// Elements cached per token for one sequence.
    public var elementsPerToken: Int { streams.reduce(0) { $0 + $1.groups * $1.width } }
    public var allocatedBytes: Int {
        streams.reduce(0) { $0 + $1.batch * $1.groups * $1.capacity * $1.width } * MemoryLayout<T>.stride
    }
    public var usedBytes: Int { (streams.first?.batch ?? 0) * length * elementsPerToken * MemoryLayout<T>.stride }

    /// Makes room for `tokens` more rows.
    public func reserve(_ tokens: Int) {
        let needed = length + tokens
        guard needed > capacity else { return }
        let newCapacity = min((needed + chunk - 1) / chunk * chunk, max(needed, tokenLimit))
        for s in streams { s.grow(to: newCapacity, keeping: length) }
    }

    /// Stores the new tokens' rows (one source tensor per stream, [B, groups, tokens, width]) and
    /// advances the length.
    public func append(_ sources: [Tensor<T>]) {
        precondition(sources.count == streams.count, "cache append needs one tensor per stream")
        let tokens = sources[0].shape[sources[0].rank - 2]
        reserve(tokens)
        for (s, src) in zip(streams, sources) {
            precondition(src.count == s.batch * s.groups * tokens * s.width, "cache append: \(src.shape) does not fit stream [\(s.batch), \(s.groups), \(tokens), \(s.width)]")
            s.write(src.ptr, tokens: tokens, at: length)
        }
        length += tokens
    }
}

/// All layers' caches of one decoding session.
public final class InferenceCache<T: Scalar> {
    public let layers: [LayerKVCache<T>]
    public init(layers: [LayerKVCache<T>]) { self.layers = layers }
    public var length: Int { layers.first?.length ?? 0 }
    public var allocatedBytes: Int { layers.reduce(0) { $0 + $1.allocatedBytes } }
    public var usedBytes: Int { layers.reduce(0) { $0 + $1.usedBytes } }
    public var elementsPerToken: Int { layers.reduce(0) { $0 + $1.elementsPerToken } }
}
