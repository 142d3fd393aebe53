import Foundation

/// Everything one training run needs, fully resolved from an experiment file (after inheritance,
/// variants, grid values and `--set` overrides). Defaults live here and nowhere else; the keys,
/// their meaning and their ranges are listed in `experiments/README.md` and in `ExperimentSchema`.
public struct ExperimentConfig: Sendable, Equatable {
    /// One line shown by `attnlab list`.
    public var description: String = ""
    public var model = ModelConfig()
    public var data = DataConfig()
    public var train = TrainConfig()
    public var optimizer = OptimizerConfig()
    public var schedule = ScheduleConfig()
    public var eval = EvalConfig()
    public var log = LogConfig()

    public init() {}

    /// Tokens per training sequence: `data.seq_len`, or `data.mqar.seq_len` for MQAR, whose
    /// examples have their own length.
    public var contextLength: Int { data.source == .mqar ? data.mqar.seqLen : data.seqLen }
}

public struct DataConfig: Sendable, Equatable {
    /// Enums are nested so the data-loading code can own top-level names like `Tokenizer`.
    public enum Source: String, Sendable, CaseIterable {
        case fortunes, file, tinyshakespeare, tokens, mqar
    }
    public enum Tokenizer: String, Sendable, CaseIterable {
        case byte, char
    }
    /// Pre-tokenised uint16 files: nanoGPT's headerless `.bin` or llm.c's with a 256-int32 header.
    public enum TokenFormat: String, Sendable, CaseIterable {
        case nanogpt, llmc
    }

    /// Multi-query associative recall: synthetic key-value recall sequences.
    public struct MQAR: Sendable, Equatable {
        public var vocab = 8192
        public var seqLen = 64
        public var numKVPairs = 4
        public var trainExamples = 20000
        public var valExamples = 1000
        public init() {}
    }

    public var source: Source = .fortunes
    /// File for `file`/`tokens`; empty means none. Kept as written so a resolved config prints the
    /// same on every machine; `resolvedPath(relativeTo:)` applies the working directory.
    public var path: String = ""
    public var tokenizer: Tokenizer = .byte
    public var tokenFormat: TokenFormat = .nanogpt
    /// Fraction of the corpus held out for validation, in (0, 0.5].
    public var valFraction: Double = 0.1
    /// Training context length; at most `model.maxSeqLen`.
    public var seqLen: Int = 128
    public var mqar = MQAR()

    public init() {}

    /// `path` as a file URL, relative paths taken against `directory` (the current directory by
    /// default); nil when no path is set.
    public func resolvedPath(relativeTo directory: URL? = nil) -> URL? {
        guard !path.isEmpty else { return nil }
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        let base = directory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return base.appendingPathComponent(path).standardizedFileURL
    }
}

public struct TrainConfig: Sendable, Equatable {
    public var steps = 200
    public var batchSize = 16
    /// Micro-batches summed per optimiser step.
    public var gradAccum = 1
    public var seed = 1
    /// BLAS threads; 0 means all cores.
    public var threads = 0
    public init() {}
}

/// AdamW.
public struct OptimizerConfig: Sendable, Equatable {
    public var lr = 1e-3
    public var beta1 = 0.9
    public var beta2 = 0.95
    public var eps = 1e-8
    public var weightDecay = 0.1
    /// Global gradient-norm clip; 0 disables clipping.
    public var clipGradNorm = 1.0
    /// Whether RMSNorm gains and biases get weight decay too (usually not).
    public var decayNormsAndBiases = false
    public init() {}
}

public struct ScheduleConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Linear warmup then cosine decay to `minLRRatio * lr`.
        case cosine
        /// Linear warmup then flat.
        case constant
    }
    public var warmupSteps = 20
    public var minLRRatio = 0.1
    public var kind: Kind = .cosine
    public init() {}
}

public struct EvalConfig: Sendable, Equatable {
    /// Evaluate `windows` windows every this many steps and at the last step.
    public var every = 50
    /// Windows of the validation set (`ValidationSet`) each periodic evaluation covers, spread
    /// evenly over the split; 0 = the whole split. The final evaluation always covers the whole split.
    public var windows = 64
    public init() {}
}

public struct LogConfig: Sendable, Equatable {
    public var every = 10
    public var flushSeconds = 2.0
    /// Steps between checkpoints; 0 = only at the end.
    public var checkpointEvery = 100
    public var saveWeights = true
    /// Record stability diagnostics in the run file (`/diagnostics`: largest attention logit and
    /// latent RMS per layer at the logged steps, loss and gradient-norm spikes).
    public var diagnostics = true
    public init() {}
}
