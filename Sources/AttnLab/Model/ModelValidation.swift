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
    /// Largest accepted value of every model dimension (vocabulary, widths, head counts, layers,
    /// context): 2^20 = 1,048,576. Far above anything trainable on a CPU, and small enough that
    /// single products of dimensions stay far from `Int` overflow.
    public static let dimensionLimit = 1 << 20

    /// Largest accepted parameter count: 2^40 (about 1.1 trillion, 4 TiB of float32 weights).
    public static let parameterLimit = 1 << 40

    /// Rejects settings the model cannot be built from, reporting the first problem found.
    /// Vocabularies above 65,536 are accepted: only uint16 token files impose that cap. Every
    /// dimension must be at most `dimensionLimit`, the parameter count at most `parameterLimit`,
    /// and the training FLOPs per token at `max_seq_len` must fit in an `Int`, so that the size
    /// figures (`parameterCount`, `trainingFLOPsPerToken`, `kvElementsPerToken`, memory
    /// estimates) of a validated config are exact.
    public func validate() throws {
        try Self.requireDimension(vocabSize, "model.vocab_size")
        try Self.requireDimension(dModel, "model.d_model")
        try Self.requireDimension(nLayers, "model.n_layers")
        try Self.requireDimension(mlpHidden, "model.mlp_hidden")
        try Self.requireDimension(maxSeqLen, "model.max_seq_len")
        // Base <= 1 makes RoPE's frequencies grow (or stay equal) with the pair index, so distant
        // positions become indistinguishable in the slow channels the scheme relies on.
        guard ropeBase.isFinite, ropeBase > 1 else {
            throw ModelConfigError(key: "model.rope_base", expected: "a finite number > 1", found: "\(ropeBase)")
        }
        guard normEps.isFinite, normEps > 0 else {
            throw ModelConfigError(key: "model.norm_eps", expected: "a finite number > 0", found: "\(normEps)")
        }
        guard attention.latentNormEps.isFinite, attention.latentNormEps > 0 else {
            throw ModelConfigError(key: "model.attention.latent_norm_eps", expected: "a finite number > 0", found: "\(attention.latentNormEps)")
        }
        try Self.requireDimension(attention.nHeads, "model.attention.n_heads")
        if attention.kind == .mla {
            try validateLatentAttention()
        } else {
            try validateHeadAttention()
        }
        try validateTotals()
    }

    /// The whole model's size, once every dimension is in range.
    private func validateTotals() throws {
        let sizeKeys = "model.d_model, model.n_layers, model.mlp_hidden, model.vocab_size and the attention widths"
        guard parameterCount <= Self.parameterLimit else {
            throw ModelConfigError(
                key: "model.d_model",
                expected: "at most \(Self.parameterLimit) parameters (set by \(sizeKeys))",
                found: parameterCount == Int.max ? "more than \(Int.max)" : "\(parameterCount)")
        }
        guard trainingFLOPsPerToken(context: maxSeqLen) < Int.max else {
            throw ModelConfigError(
                key: "model.max_seq_len",
                expected: "training FLOPs per token below \(Int.max) at max_seq_len (set by \(sizeKeys), model.attention.n_heads and model.max_seq_len)",
                found: "more than \(Int.max)")
        }
    }

    private func validateHeadAttention() throws {
        let a = attention
        if a.headDim < 0 || a.headDim > Self.dimensionLimit {
            throw ModelConfigError(
                key: "model.attention.head_dim",
                expected: "a positive width up to \(Self.dimensionLimit), or 0 for d_model / n_heads",
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
            guard a.nKVHeads >= 1, a.nKVHeads <= Self.dimensionLimit, a.nKVHeads <= a.nHeads, a.nHeads % a.nKVHeads == 0 else {
                throw ModelConfigError(
                    key: "model.attention.n_kv_heads",
                    expected: "a divisor of n_heads = \(a.nHeads) between 1 and \(a.nHeads)",
                    found: "\(a.nKVHeads)")
            }
        }
    }

    private func validateLatentAttention() throws {
        let a = attention
        try Self.requireDimension(a.kvLoraRank, "model.attention.kv_lora_rank")
        guard a.qLoraRank >= 0, a.qLoraRank <= Self.dimensionLimit else {
            throw ModelConfigError(
                key: "model.attention.q_lora_rank", expected: "0 (dense q_proj) or a positive rank up to \(Self.dimensionLimit)",
                found: "\(a.qLoraRank)")
        }
        guard a.qkRopeHeadDim >= 0, a.qkRopeHeadDim <= Self.dimensionLimit, a.qkRopeHeadDim % 2 == 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_rope_head_dim",
                expected: "an even width in [0, \(Self.dimensionLimit)], since RoPE rotates pairs", found: "\(a.qkRopeHeadDim)")
        }
        // The query/key head is [nope ; rope], so a negative nope would mean a rope slice wider
        // than the head it belongs to.
        guard a.qkNopeHeadDim >= 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_nope_head_dim",
                expected: ">= 0 (qk_rope_head_dim = \(a.qkRopeHeadDim) cannot exceed the query/key head width qk_nope + qk_rope)",
                found: "\(a.qkNopeHeadDim)")
        }
        try Self.requireDimension(a.qkNopeHeadDim, "model.attention.qk_nope_head_dim", minimum: 0)
        guard a.qkNopeHeadDim + a.qkRopeHeadDim > 0 else {
            throw ModelConfigError(
                key: "model.attention.qk_nope_head_dim",
                expected: "qk_nope_head_dim + qk_rope_head_dim > 0 so queries and keys have a width",
                found: "qk_nope_head_dim \(a.qkNopeHeadDim), qk_rope_head_dim \(a.qkRopeHeadDim)")
        }
        try Self.requireDimension(a.vHeadDim, "model.attention.v_head_dim")
        if a.queryCompression == .always, a.qLoraRank == 0 {
            throw ModelConfigError(
                key: "model.attention.query_compression",
                expected: "\"train-only\" when q_lora_rank is 0 (there is no query bottleneck to keep)",
                found: "\"always\"")
        }
    }

    private static func requireDimension(_ value: Int, _ key: String, minimum: Int = 1) throws {
        guard value >= minimum, value <= dimensionLimit else {
            throw ModelConfigError(key: key, expected: "an integer in [\(minimum), \(dimensionLimit)]", found: "\(value)")
        }
    }
}
