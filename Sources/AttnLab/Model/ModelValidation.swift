import Foundation

/// A rejected model setting. `key` is the snake_case path a user writes in a TOML config file,
/// so the message points at the line to fix rather than at a Swift property name.
public struct ModelConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let expected: String
    public let found: String

    public init(key: String, expected: String, found: String) {
        self.key = key
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(key): expected \(expected), found \(found)" }
}

// Some front ends (ArgumentParser among them) prefer `errorDescription` when it exists.
extension ModelConfigError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Parses a config or command-line word into one of an enum's cases, naming the valid spellings
/// (and the key) when it fails.
func parseConfigWord<E: CaseIterable & RawRepresentable>(_ text: String, key: String) throws -> E where E.RawValue == String {
    guard let value = E(rawValue: text.lowercased()) else {
        throw ModelConfigError(
            key: key, expected: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "), found: "\"\(text)\"")
    }
    return value
}

extension AttentionKind {
    public static func parse(_ text: String, key: String = "model.attention.kind") throws -> AttentionKind {
        try parseConfigWord(text, key: key)
    }
}

extension QueryCompression {
    public static func parse(_ text: String, key: String = "model.attention.query_compression") throws -> QueryCompression {
        try parseConfigWord(text, key: key)
    }
}

extension ModelConfig {
    /// Rejects settings the model cannot be built from, reporting the first problem found.
    /// Vocabularies above 65,536 are accepted: only uint16 token files impose that cap.
    public func validate() throws {
        try Self.requirePositive(vocabSize, "model.vocab_size")
        try Self.requirePositive(dModel, "model.d_model")
        try Self.requirePositive(nLayers, "model.n_layers")
        try Self.requirePositive(mlpHidden, "model.mlp_hidden")
        try Self.requirePositive(maxSeqLen, "model.max_seq_len")
        // Base <= 1 makes RoPE's frequencies grow (or stay equal) with the pair index, so distant
        // positions become indistinguishable in the slow channels the scheme relies on.
        guard ropeBase.isFinite, ropeBase > 1 else {
            throw ModelConfigError(key: "model.rope_base", expected: "a finite number > 1", found: "\(ropeBase)")
        }
        guard normEps.isFinite, normEps > 0 else {
            throw ModelConfigError(key: "model.norm_eps", expected: "a finite number > 0", found: "\(normEps)")
        }
        try Self.requirePositive(attention.nHeads, "model.attention.n_heads")
        if attention.kind == .mla {
            try validateLatentAttention()
        } else {
            try validateHeadAttention()
        }
    }

    private func validateHeadAttention() throws {
        let a = attention
        if a.headDim < 0 {
            throw ModelConfigError(
                key: "model.attention.head_dim", expected: "a positive width, or 0 for d_model / n_heads",
                found: "\(a.headDim)")
        }
        if a.headDim == 0, dModel % a.nHeads != 0 {
            throw ModelConfigError(
                key: "model.attention.n_heads",
                expected: "a divisor of d_model = \(dModel) (head_dim is 0, so it is d_model / n_heads)",
                found: "\(a.nHeads)")
        }
        // RoPE rotates channel pairs, and these kinds rotate the whole head.
        if headDim % 2 != 0 {
            let origin = a.headDim == 0 ? " (derived as d_model / n_heads)" : ""
            throw ModelConfigError(
                key: "model.attention.head_dim", expected: "an even width, since RoPE rotates pairs",
                found: "\(headDim)\(origin)")
        }
        if a.kind == .gqa {
            guard a.nKVHeads >= 1, a.nKVHeads <= a.nHeads, a.nHeads % a.nKVHeads == 0 else {
                throw ModelConfigError(
                    key: "model.attention.n_kv_heads",
                    expected: "a divisor of n_heads = \(a.nHeads) between 1 and \(a.nHeads)",
                    found: "\(a.nKVHeads)")
            }
        }
    }

    private func validateLatentAttention() throws {
        let a = attention
        guard a.kvLoraRank >= 1 else {
            throw ModelConfigError(key: "model.attention.kv_lora_rank", expected: "at least 1", found: "\(a.kvLoraRank)")
        }
        guard a.qLoraRank >= 0 else {
            throw ModelConfigError(
                key: "model.attention.q_lora_rank", expected: "0 (dense q_proj) or a positive rank",
                found: "\(a.qLoraRank)")
        }
        guard a.qkRopeHeadDim >= 0, a.qkRopeHeadDim % 2 == 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_rope_head_dim",
                expected: "an even width >= 0, since RoPE rotates pairs", found: "\(a.qkRopeHeadDim)")
        }
        // The query/key head is [nope ; rope], so a negative nope would mean a rope slice wider
        // than the head it belongs to.
        guard a.qkNopeHeadDim >= 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_nope_head_dim",
                expected: ">= 0 (qk_rope_head_dim = \(a.qkRopeHeadDim) cannot exceed the query/key head width qk_nope + qk_rope)",
                found: "\(a.qkNopeHeadDim)")
        }
        guard a.qkNopeHeadDim + a.qkRopeHeadDim > 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_nope_head_dim",
                expected: "qk_nope_head_dim + qk_rope_head_dim > 0 so queries and keys have a width",
                found: "qk_nope_head_dim \(a.qkNopeHeadDim), qk_rope_head_dim \(a.qkRopeHeadDim)")
        }
        try Self.requirePositive(a.vHeadDim, "model.attention.v_head_dim")
        if a.queryCompression == .always, a.qLoraRank == 0 {
            throw ModelConfigError(
                key: "model.attention.query_compression",
                expected: "\"train-only\" when q_lora_rank is 0 (there is no query bottleneck to keep)",
                found: "\"always\"")
        }
    }

    private static func requirePositive(_ value: Int, _ key: String) throws {
        guard value > 0 else { throw ModelConfigError(key: key, expected: "a positive integer", found: "\(value)") }
    }
}
