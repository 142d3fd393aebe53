/// One pre-norm block: x + attn(norm(x)), then + mlp(norm(·)).
public final class DecoderBlock<T: Scalar> {
    public let inputNorm: RMSNormLayer<T>, postAttentionNorm: RMSNormLayer<T>
    /// Concrete (not existential) so that the whole layer is specialised for Float: calls
    /// through `any CausalSelfAttention<T>` run unspecialised generic code, several times slower.
    public let attention: AttentionVariant<T>
    public let mlp: SwiGLUMLP<T>

    init(_ store: ParameterStore<T>, index: Int, config: ModelConfig, std: Double, residualStd: Double) {
        let p = "layers.\(index)"
        inputNorm = RMSNormLayer(store, p + ".input_layernorm", width: config.dModel, eps: config.normEps)
        attention = config.attention.kind.design.makeLayer(store, p + ".self_attn", config: config, std: std, residualStd: residualStd)
        postAttentionNorm = RMSNormLayer(store, p + ".post_attention_layernorm", width: config.dModel, eps: config.normEps)
        mlp = SwiGLUMLP(store, p + ".mlp", d: config.dModel, hidden: config.mlpHidden, std: std, residualStd: residualStd)
    }

    func callAsFunction(_ g: Graph<T>, _ x: Tensor<T>, cache: LayerKVCache<T>?) -> Tensor<T> {
        let normed = inputNorm(g, x)
        let a = cache.map { attention.decode(g, normed, cache: $0) } ?? attention.forward(g, normed)
        let h = g.add(x, a)
        return g.add(h, mlp(g, postAttentionNorm(g, h)))
    }
}

/// A decoder-only language model: embedding, pre-norm blocks, final RMSNorm, LM head (tied to
/// the embedding unless configured otherwise).
public final class DecoderLM<T: Scalar> {
    public let config: ModelConfig
    public let store: ParameterStore<T>
    public let embedding: Tensor<T>
    public let blocks: [DecoderBlock<T>]
    public let finalNorm: RMSNormLayer<T>
    public let lmHead: Tensor<T>?

    /// Builds the model with GPT-2 initialisation from `seed`. The configuration must have been
    /// validated (`ModelConfig.validate()`).
    public convenience init(_ config: ModelConfig, seed: UInt64) {
        self.init(config, store: ParameterStore<T>(seed: seed))
    }

    /// Builds the model's parameters in `store` (a recording store lists them without memory).
    init(_ config: ModelConfig, store: ParameterStore<T>) {
        self.config = config
        self.store = store
        let std = 0.02, residualStd = 0.02 / Double(2 * config.nLayers).squareRoot()
        embedding = store.make("embed_tokens.weight", [config.vocabSize, config.dModel], .normal(std: std))
        blocks = (0..<config.nLayers).map { DecoderBlock(store, index: $0, config: config, std: std, residualStd: residualStd) }
        finalNorm = RMSNormLayer(store, "norm", width: config.dModel, eps: config.normEps)
        lmHead = config.tieEmbeddings ? nil : store.make("lm_head.weight", [config.vocabSize, config.dModel], .normal(std: std))
    }

    public var parameters: [Tensor<T>] { store.tensors }

    /// Logits [B, T, V] for token ids laid out [B, T]. With a cache, the ids are the next tokens
    /// of each sequence and the cache advances by T.
    public func logits(_ g: Graph<T>, ids: [Int32], batch: Int, cache: InferenceCache<T>? = nil) -> Tensor<T> {
        precondition(batch > 0 && ids.count % batch == 0, "\(ids.count) ids do not split into \(batch) sequences")
        let t = ids.count / batch
        precondition(cache == nil || cache!.layers.count == blocks.count, "cache built for another model")
        precondition((cache?.length ?? 0) + t <= config.maxSeqLen || cache != nil,
                     "sequence of \(t) tokens exceeds max_seq_len \(config.maxSeqLen)")
        var x = g.embedding(embedding, ids: ids, shape: [batch, t])
        for (i, block) in blocks.enumerated() {
            g.diagnostics?.layer = i
            x = block(g, x, cache: cache?.layers[i])
        }
        return g.matmul(finalNorm(g, x), lmHead ?? embedding, transB: true)
    }

    /// Mean next-token cross-entropy; targets use `ignoreIndex` for positions without a label.
    public func loss(_ g: Graph<T>, ids: [Int32], targets: [Int32], batch: Int) -> Tensor<T> {
        g.crossEntropy(logits(g, ids: ids, batch: batch), targets: targets)
    }

    /// A fresh, empty KV cache for `batch` sequences, with inference weights prepared. The latent
    /// variants decode along `latentDecode` (the others have one path). The cache grows by
    /// `chunk` tokens at a time, never past max_seq_len.
    public func makeCache(batch: Int, chunk: Int = 64, latentDecode: LatentDecodeMode = .absorbed) -> InferenceCache<T> {
        for b in blocks {
            b.attention.prepareForInference()
            b.attention.useLatentDecode(latentDecode)
        }
        let layers = blocks.map { $0.attention.makeCache(batch: batch, chunk: chunk) }
        for layer in layers { layer.tokenLimit = config.maxSeqLen }
        return InferenceCache(layers: layers)
    }
}
