/// Turns a fully merged layer into an `ExperimentConfig`, collecting every type, range and
/// cross-section problem instead of stopping at the first, so one edit fixes them all.
struct ExperimentDecoder {
    let fields: [ExperimentField]
    /// Where unset (defaulted) keys are blamed: the experiment's own file.
    let defaultSource: String

    func decode(_ layer: ExperimentLayer) -> (config: ExperimentConfig, errors: [String]) {
        var config = ExperimentConfig()
        var errors: [String] = []
        for field in fields {
            guard let leaf = layer[field.path] else { continue }
            switch field.type.check(leaf.value) {
            case .success(let value): field.write(&config, value)
            case .failure(let mismatch):
                errors.append(leaf.origin.message("expected \(mismatch.expected), found \(mismatch.found)"))
            }
        }
        // Cross-checks only make sense on values that passed their own checks.
        if errors.isEmpty { errors = crossCheck(config, layer) }
        return (config, errors)
    }

    /// Consistency between keys this module owns, and between data and model sizes. Model-internal
    /// dimensions are `ModelConfig.validate()`'s job.
    private func crossCheck(_ c: ExperimentConfig, _ layer: ExperimentLayer) -> [String] {
        var errors: [String] = []
        /// Blame the first key the experiment actually set (the user's edit), else the first key.
        func blame(_ keys: [String]) -> ExperimentOrigin {
            for key in keys { if let leaf = layer[key] { return leaf.origin } }
            return ExperimentOrigin(source: defaultSource, keyPath: keys[0])
        }
        func require(_ ok: Bool, _ keys: [String], _ expected: String, _ found: String) {
            if !ok { errors.append(blame(keys).message("expected \(expected), found \(found)")) }
        }

        if c.description.isEmpty {
            errors.append(blame(["description"]).message(
                "expected a one-line string (shown by `attnlab list`), found nothing"))
        }
        require(
            c.data.seqLen <= c.model.maxSeqLen, ["data.seq_len", "model.max_seq_len"],
            "data.seq_len <= model.max_seq_len", "\(c.data.seqLen) > \(c.model.maxSeqLen)")
        let m = c.data.mqar
        require(
            m.numKVPairs * 4 <= m.seqLen, ["data.mqar.num_kv_pairs", "data.mqar.seq_len"],
            "data.mqar.num_kv_pairs * 4 <= data.mqar.seq_len", "\(m.numKVPairs) * 4 > \(m.seqLen)")
        require(
            m.vocab > m.seqLen, ["data.mqar.vocab", "data.mqar.seq_len"],
            "data.mqar.vocab > data.mqar.seq_len", "\(m.vocab) <= \(m.seqLen)")
        switch c.data.source {
        case .mqar:
            require(
                m.seqLen <= c.model.maxSeqLen, ["data.mqar.seq_len", "model.max_seq_len"],
                "data.mqar.seq_len <= model.max_seq_len", "\(m.seqLen) > \(c.model.maxSeqLen)")
            require(
                c.model.vocabSize >= m.vocab, ["model.vocab_size", "data.mqar.vocab"],
                "model.vocab_size >= data.mqar.vocab", "\(c.model.vocabSize) < \(m.vocab)")
        case .file, .tokens:
            require(
                !c.data.path.isEmpty, ["data.path"],
                "a file path for data.source = \"\(c.data.source.rawValue)\"", "nothing")
        case .fortunes, .tinyshakespeare:
            break
        }
        if c.data.source != .mqar && c.data.source != .tokens && c.data.tokenizer == .byte {
            require(
                c.model.vocabSize >= 256, ["model.vocab_size", "data.tokenizer"],
                "model.vocab_size >= 256 for the byte tokenizer", "\(c.model.vocabSize)")
        }
        require(
            c.schedule.warmupSteps <= c.train.steps, ["schedule.warmup_steps", "train.steps"],
            "schedule.warmup_steps <= train.steps", "\(c.schedule.warmupSteps) > \(c.train.steps)")
        return errors
    }
}
