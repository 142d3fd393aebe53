import Foundation

extension ModelConfig {
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
        try attention.kind.design.validate(self)
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
}
