import AttnLab
import Testing

@Suite struct ModelValidationTests {
    static func mla() -> ModelConfig {
        var c = ModelConfig()
        c.attention.kind = .mla
        return c
    }

    static func with(_ base: ModelConfig = ModelConfig(), _ change: (inout ModelConfig) -> Void) -> ModelConfig {
        var c = base
        change(&c)
        return c
    }

    /// One broken config per rule, with the key path and the found value its message must name.
    static let broken: [(config: ModelConfig, key: String, found: String)] = [
        (with { $0.vocabSize = 0 }, "model.vocab_size", "0"),
        (with { $0.dModel = -8 }, "model.d_model", "-8"),
        (with { $0.nLayers = 0 }, "model.n_layers", "0"),
        (with { $0.mlpHidden = 0 }, "model.mlp_hidden", "0"),
        (with { $0.maxSeqLen = -1 }, "model.max_seq_len", "-1"),
        (with { $0.ropeBase = 0 }, "model.rope_base", "0"),
        (with { $0.normEps = 0 }, "model.norm_eps", "0"),
        (with { $0.attention.nHeads = 0 }, "model.attention.n_heads", "0"),
        (with { $0.attention.nHeads = 3 }, "model.attention.n_heads", "3"),
        (with { $0.attention.headDim = -2 }, "model.attention.head_dim", "-2"),
        (with { $0.attention.headDim = 7 }, "model.attention.head_dim", "7"),
        (with { $0.dModel = 24; $0.attention.nHeads = 8 }, "model.attention.head_dim", "3"),
        (with { $0.attention.kind = .gqa; $0.attention.nKVHeads = 3 }, "model.attention.n_kv_heads", "3"),
        (with { $0.attention.kind = .gqa; $0.attention.nKVHeads = 16 }, "model.attention.n_kv_heads", "16"),
        (with { $0.attention.kind = .gqa; $0.attention.nKVHeads = 0 }, "model.attention.n_kv_heads", "0"),
        (with(mla()) { $0.attention.kvLoraRank = 0 }, "model.attention.kv_lora_rank", "0"),
        (with(mla()) { $0.attention.qLoraRank = -1 }, "model.attention.q_lora_rank", "-1"),
        (with(mla()) { $0.attention.qkRopeHeadDim = 15 }, "model.attention.qk_rope_head_dim", "15"),
        (with(mla()) { $0.attention.qkNopeHeadDim = -20 }, "model.attention.qk_nope_head_dim", "-20"),
        (with(mla()) { $0.attention.qkNopeHeadDim = 0; $0.attention.qkRopeHeadDim = 0 },
         "model.attention.qk_nope_head_dim", "0"),
        // A key of RoPE only is refused: the latent expands to the no-RoPE part.
        (with(mla()) { $0.attention.qkNopeHeadDim = 0 }, "model.attention.qk_nope_head_dim", "0"),
        (with(mla()) { $0.attention.kind = .gla; $0.attention.nLatentHeads = 2; $0.attention.qkNopeHeadDim = 0 },
         "model.attention.qk_nope_head_dim", "0"),
        (with(mla()) { $0.attention.vHeadDim = 0 }, "model.attention.v_head_dim", "0"),
        (with(mla()) { $0.attention.qLoraRank = 0; $0.attention.queryCompression = .always },
         "model.attention.query_compression", "always"),
        // Sizes that would overflow Int arithmetic are range errors, not traps.
        (with { $0.dModel = 4_611_686_018_427_387_904 }, "model.d_model", "4611686018427387904"),
        (with { $0.vocabSize = Int.max }, "model.vocab_size", "\(Int.max)"),
        (with { $0.nLayers = 1 << 40 }, "model.n_layers", "\(1 << 40)"),
        (with { $0.maxSeqLen = Int.max }, "model.max_seq_len", "\(Int.max)"),
        (with { $0.attention.headDim = 1 << 21 }, "model.attention.head_dim", "\(1 << 21)"),
        (with(mla()) { $0.attention.kvLoraRank = Int.max }, "model.attention.kv_lora_rank", "\(Int.max)"),
        (with(mla()) { $0.attention.qkNopeHeadDim = Int.max }, "model.attention.qk_nope_head_dim", "\(Int.max)"),
        (with { $0.dModel = 1 << 20; $0.mlpHidden = 1 << 20; $0.nLayers = 1 << 20 }, "model.d_model", "parameters"),
        (with { $0.dModel = 1 << 20; $0.nLayers = 1 << 20; $0.attention.nHeads = 1 << 20; $0.attention.headDim = 1 << 20; $0.mlpHidden = 1 },
         "model.d_model", "more than"),
    ]

    @Test(arguments: broken)
    func rejects(config: ModelConfig, key: String, found: String) {
        #expect {
            try config.validate()
        } throws: { error in
            guard let e = error as? ModelConfigError else { return false }
            let text = String(describing: e)
            return e.key == key && text.hasPrefix(key + ":") && text.contains("expected") && text.contains(found)
        }
    }

    @Test func acceptsDefaultsAndEdgeCases() throws {
        try ModelConfig().validate()
        try Self.mla().validate()
        try Self.with { $0.attention.kind = .mqa; $0.attention.nKVHeads = 0 }.validate()
        try Self.with { $0.attention.kind = .gqa; $0.attention.nKVHeads = 8 }.validate()
        try Self.with { $0.vocabSize = 100_000 }.validate()
        // MLA ignores head_dim and need not divide d_model; no RoPE and a dense q_proj are fine.
        try Self.with(Self.mla()) { $0.attention.nHeads = 3; $0.attention.qkRopeHeadDim = 0 }.validate()
        try Self.with(Self.mla()) { $0.attention.qLoraRank = 0 }.validate()
    }

    @Test func parsesEnumsNamingTheKey() throws {
        #expect(try AttentionKind.parse("MLA") == .mla)
        #expect(try QueryCompression.parse("train-only") == .trainOnly)
        #expect {
            try AttentionKind.parse("linear")
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("model.attention.kind:") && text.contains("mha, gqa, mqa, mla") && text.contains("linear")
        }
        #expect {
            try QueryCompression.parse("sometimes")
        } throws: { error in
            String(describing: error).hasPrefix("model.attention.query_compression:")
        }
    }
}
