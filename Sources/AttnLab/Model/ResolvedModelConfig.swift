extension ModelConfig {
    /// The same model with every width its kind derives written out, so that a reader of the
    /// config (the PyTorch twin of `bench/`, reading `attnlab bench --json`) needs no defaulting
    /// rules: `head_dim` (0 → d_model / n_heads) for MHA/GQA/MQA/GTA, `n_kv_heads` as the layer
    /// uses it (MHA: n_heads, MQA: 1), GTA's `rope_dim` (0 → head_dim / 2). Keys a kind does not
    /// read are left as they are. Builds the same parameters as `self` (tested).
    public var resolved: ModelConfig {
        var c = self
        switch attention.kind {
        case .mha, .gqa, .mqa:
            c.attention.headDim = headDim
            let family: GroupedQueryDesign.Family = attention.kind == .mha ? .mha : attention.kind == .mqa ? .mqa : .gqa
            c.attention.nKVHeads = family.kvHeads(attention)
        case .gta:
            c.attention.headDim = headDim
            c.attention.ropeDim = GroupedTiedDesign.ropeDim(self)
        case .mla, .gla:
            break
        }
        return c
    }
}
