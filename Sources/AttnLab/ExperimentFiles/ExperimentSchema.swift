/// The schema: every config key in the order `resolvedTOML` prints it. Ranges here are the
/// per-key ones; model-dimension consistency (head counts dividing, MLA widths, ...) belongs to
/// `ModelConfig.validate()`, and the cross-section checks this module owns are in
/// `ExperimentDecoder.swift`. `ExperimentKeyDocumentation` renders it for experiments/README.md, whose key table a test holds to it.
enum ExperimentSchema {
    static var fields: [ExperimentField] {
        [
            .line("description", \.description),

            .int("model.vocab_size", \.model.vocabSize, min: 1, max: dim),
            .int("model.d_model", \.model.dModel, min: 1, max: dim),
            .int("model.n_layers", \.model.nLayers, min: 1, max: dim),
            .int("model.mlp_hidden", \.model.mlpHidden, min: 1, max: dim),
            .int("model.max_seq_len", \.model.maxSeqLen, min: 1, max: dim),
            .double("model.rope_base", \.model.ropeBase, above: 0),
            .choice("model.rope_style", \.model.ropeStyle),
            .bool("model.tie_embeddings", \.model.tieEmbeddings),
            .double("model.norm_eps", \.model.normEps, above: 0),

            .choice("model.attention.kind", \.model.attention.kind),
            .int("model.attention.n_heads", \.model.attention.nHeads, min: 1, max: dim),
            .int("model.attention.n_kv_heads", \.model.attention.nKVHeads, min: 1, max: dim),
            .int("model.attention.head_dim", \.model.attention.headDim, min: 0, max: dim),
            .int("model.attention.kv_lora_rank", \.model.attention.kvLoraRank, min: 1, max: dim),
            .int("model.attention.q_lora_rank", \.model.attention.qLoraRank, min: 0, max: dim),
            .int("model.attention.qk_nope_head_dim", \.model.attention.qkNopeHeadDim, min: 1, max: dim),
            .int("model.attention.qk_rope_head_dim", \.model.attention.qkRopeHeadDim, min: 0, max: dim),
            .int("model.attention.v_head_dim", \.model.attention.vHeadDim, min: 1, max: dim),
            .choice("model.attention.query_compression", \.model.attention.queryCompression),
            .int("model.attention.n_latent_heads", \.model.attention.nLatentHeads, min: 1, max: dim),
            .int("model.attention.rope_dim", \.model.attention.ropeDim, min: 0, max: dim),
            .double(ExperimentSchema.latentNormEpsKey, \.model.attention.latentNormEps, above: 0),

            .choice("data.source", \.data.source),
            .line("data.path", \.data.path),
            .choice("data.tokenizer", \.data.tokenizer),
            .choice("data.token_format", \.data.tokenFormat),
            .double("data.val_fraction", \.data.valFraction, above: 0, atMost: 0.5),
            .int("data.seq_len", \.data.seqLen, min: 1, max: dim),

            .int("data.mqar.vocab", \.data.mqar.vocab, min: 1, max: dim),
            .int("data.mqar.seq_len", \.data.mqar.seqLen, min: 1, max: dim),
            .int("data.mqar.num_kv_pairs", \.data.mqar.numKVPairs, min: 1, max: dim),
            .int("data.mqar.train_examples", \.data.mqar.trainExamples, min: 1, max: exampleLimit),
            .int("data.mqar.val_examples", \.data.mqar.valExamples, min: 1, max: exampleLimit),

            .int("train.steps", \.train.steps, min: 1, max: stepLimit),
            .int("train.batch_size", \.train.batchSize, min: 1, max: dim),
            .int("train.grad_accum", \.train.gradAccum, min: 1, max: dim),
            .int("train.seed", \.train.seed, min: 0, max: Int.max),
            .int("train.threads", \.train.threads, min: 0, max: threadLimit),

            .double("optimizer.lr", \.optimizer.lr, above: 0),
            .double("optimizer.beta1", \.optimizer.beta1, atLeast: 0, below: 1),
            .double("optimizer.beta2", \.optimizer.beta2, atLeast: 0, below: 1),
            .double("optimizer.eps", \.optimizer.eps, above: 0),
            .double("optimizer.weight_decay", \.optimizer.weightDecay, atLeast: 0),
            .double("optimizer.clip_grad_norm", \.optimizer.clipGradNorm, atLeast: 0),
            .bool("optimizer.decay_norms_and_biases", \.optimizer.decayNormsAndBiases),

            .int("schedule.warmup_steps", \.schedule.warmupSteps, min: 0, max: stepLimit),
            .double("schedule.min_lr_ratio", \.schedule.minLRRatio, atLeast: 0, atMost: 1),
            .choice("schedule.kind", \.schedule.kind),

            .int("eval.every", \.eval.every, min: 1, max: stepLimit),
            .int("eval.windows", \.eval.windows, min: 0, max: exampleLimit),

            .int("log.every", \.log.every, min: 1, max: stepLimit),
            .double("log.flush_seconds", \.log.flushSeconds, above: 0),
            .int("log.checkpoint_every", \.log.checkpointEvery, min: 0, max: stepLimit),
            .bool("log.save_weights", \.log.saveWeights),
            .bool("log.diagnostics", \.log.diagnostics),
        ]
    }

    /// Caps on integer keys (experiments/README.md lists them): model, data and batch dimensions
    /// share the model's limit; step counts, example counts and threads have their own.
    static let dim = ModelConfig.dimensionLimit
    static let stepLimit = 1 << 31
    static let exampleLimit = 1 << 24
    static let threadLimit = 1024

    /// MLA's latent-norm epsilon. A stored config without it predates the key; such runs were
    /// trained with `model.norm_eps` on the latents (`ExperimentConfig(resolvedTOML:)`).
    static let latentNormEpsKey = "model.attention.latent_norm_eps"

    /// Keys that no longer exist, with what replaced them: an experiment file or `--set` that
    /// uses one is refused with this text; a config stored in a run file may still hold one (it
    /// is read and ignored, see `ExperimentConfig(resolvedTOML:)`).
    static let retiredKeys: [String: String] = [
        "eval.batches": "eval.batches was replaced by eval.windows (int >= 0, default \(ExperimentConfig().eval.windows)): the windows of seq_len + 1 tokens each periodic evaluation covers, spread over the whole validation split (0 = all); the final evaluation always covers the whole split",
    ]

    /// Top-level keys of an experiment file that are not config values.
    static let fileOnlyKeys = ["base", "variants", "grid", "tune"]
}

/// One config key as experiments/README.md's key table states it: the dotted path, the type
/// column and the default column, generated from the schema and `ExperimentConfig()`'s values
/// so that a test can hold the table to them.
public struct ExperimentKeyDocumentation: Sendable, Equatable {
    public let path: String
    public let type: String
    public let defaultValue: String

    public init(path: String, type: String, defaultValue: String) {
        self.path = path; self.type = type; self.defaultValue = defaultValue
    }

    /// Every key of the schema's sections (`model`, `data`, ...), in schema order.
    public static var all: [ExperimentKeyDocumentation] {
        let defaults = ExperimentConfig()
        return ExperimentSchema.fields.filter { !$0.table.isEmpty }.map { field in
            let value = field.read(defaults)
            let shown: String
            switch (field.type, value) {
            case (.choice, .string(let word)): shown = "`\(word)`"
            case (.line, _): shown = "`\(value.literal)`"
            default: shown = value.literal
            }
            return ExperimentKeyDocumentation(path: field.path, type: field.type.documentation, defaultValue: shown)
        }
    }
}

extension ExperimentFieldType {
    /// The type as the README's key table writes it ("int >= 1", "number in (0, 0.5]", ...).
    var documentation: String {
        func bound(_ x: Double) -> String { trimmedDecimal(x) }
        switch self {
        case .int(let min, _): return "int >= \(min)"
        case .double(let lo, let loIn, let hi, let hiIn):
            switch (lo, hi) {
            case (nil, nil): return "number"
            case (let lo?, nil): return "number \(loIn ? ">=" : ">") \(bound(lo))"
            case (nil, let hi?): return "number \(hiIn ? "<=" : "<") \(bound(hi))"
            case (let lo?, let hi?): return "number in \(loIn ? "[" : "(")\(bound(lo)), \(bound(hi))\(hiIn ? "]" : ")")"
            }
        case .bool: return "bool"
        case .line: return "string, one line"
        case .choice(let words): return words.map { "`\($0)`" }.joined(separator: " \\| ")
        }
    }
}
