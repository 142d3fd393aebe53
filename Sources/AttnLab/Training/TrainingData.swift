import Foundation

/// What a run trains and evaluates on, prepared from its `[data]` section.
public struct TrainingData {
    public enum Metric: Sendable, Equatable {
        /// Language modelling; bits per `unit` (byte, char or token) = loss / ln 2.
        case text(unit: String)
        /// MQAR: exact-match accuracy on the labelled positions.
        case recall
    }

    public let tokenizer: any Tokenizer
    public var sampler: BatchSampler
    /// The whole validation set (`ValidationSet`): the final evaluation covers all of it.
    public let validation: ValidationSet
    /// The windows periodic evaluations cover: `eval.windows` of them spread evenly over the set
    /// (`ValidationSet.subset(windows:)`), all of them when `eval.windows` is 0.
    public let periodicWindows: [Int]
    public let metric: Metric
    public let description: String
    /// Unigram entropy of the training split in bits per token (text only): the loss a model
    /// that ignores context would reach.
    public let unigramBits: Double?

    public var evalColumns: [String] {
        switch metric {
        case .text(let unit): return ["loss", "bits_per_" + unit]
        case .recall: return ["loss", "accuracy"]
        }
    }

    /// Loads or generates the data. Batches are drawn with a PRNG seeded from `seed`, separate
    /// from the model's initialisation stream.
    public init(_ config: ExperimentConfig, seed: Int, dataDirectory: String = "data") throws {
        let d = config.data, vocab = config.model.vocabSize
        let rng = SeededRandom(seed: UInt64(truncatingIfNeeded: seed) ^ 0xBA7C_4E5A_3D1E_0001)
        if d.source == .mqar {
            let gen = try MQARGenerator(vocab: d.mqar.vocab, seqLen: d.mqar.seqLen, numKVPairs: d.mqar.numKVPairs)
            let set = MQARDataset(generator: gen, trainExamples: d.mqar.trainExamples, validationExamples: d.mqar.valExamples,
                                  seed: UInt64(truncatingIfNeeded: seed) &+ 17)
            tokenizer = PretokenizedVocabulary(vocabSize: d.mqar.vocab)
            sampler = try BatchSampler(examples: set.train, batchSize: config.train.batchSize, rng: rng)
            validation = try ValidationSet(examples: set.validation)
            periodicWindows = validation.subset(windows: config.eval.windows)
            metric = .recall
            description = "MQAR: vocab \(d.mqar.vocab), seq_len \(d.mqar.seqLen), \(d.mqar.numKVPairs) key-value pairs, \(d.mqar.trainExamples) train / \(d.mqar.valExamples) validation examples"
            unigramBits = nil
            return
        }
        let (dataset, origin) = try Self.tokenDataset(config, dataDirectory: dataDirectory)
        guard dataset.tokenizer.vocabSize <= vocab else {
            throw DataError("model.vocab_size: expected at least the tokenizer's \(dataset.tokenizer.vocabSize) tokens, found \(vocab)")
        }
        tokenizer = dataset.tokenizer
        sampler = try BatchSampler(stream: dataset.train, seqLen: d.seqLen, batchSize: config.train.batchSize, rng: rng)
        validation = try ValidationSet(stream: dataset.validation, seqLen: d.seqLen)
        periodicWindows = validation.subset(windows: config.eval.windows)
        metric = .text(unit: dataset.tokenizer.unit)
        description = "\(origin); \(dataset.train.count) train / \(dataset.validation.count) validation tokens (val_fraction \(d.valFraction))"
        unigramBits = unigramEntropy(dataset.train, vocab: dataset.tokenizer.vocabSize)
    }

    /// The text corpus or token file of a run's `[data]` section as a split `TokenDataset`, and a
    /// description of where it came from (not for MQAR, whose examples are generated).
    public static func tokenDataset(_ config: ExperimentConfig, dataDirectory: String = "data") throws -> (dataset: TokenDataset, origin: String) {
        let d = config.data
        switch d.source {
        case .mqar:
            throw DataError("data.source mqar: the examples are generated, there is no token stream")
        case .tokens:
            guard let url = d.resolvedPath() else { throw DataError("data.path: expected a token file for source tokens, found nothing") }
            let tokens = try TokenFile.read(path: url.path, format: d.tokenFormat == .llmc ? .llmc : .nanoGPT, vocabSize: config.model.vocabSize)
            let dataset = try TokenDataset(tokens: tokens, tokenizer: PretokenizedVocabulary(vocabSize: config.model.vocabSize), valFraction: d.valFraction)
            return (dataset, "\(url.path) (\(d.tokenFormat.rawValue) token file, \(tokens.count) tokens)")
        default:
            let corpus = try TextCorpus.load(d.source, path: d.resolvedPath(), dataDirectory: dataDirectory)
            let dataset = try TokenDataset.text(corpus.bytes, tokenizer: d.tokenizer.rawValue, valFraction: d.valFraction)
            return (dataset, "\(corpus.name) (\(corpus.bytes.count) bytes, \(d.tokenizer.rawValue) tokenizer)")
        }
    }

    /// Evaluates `model` on `windows` of the validation set (`periodicWindows` or
    /// `validation.all`).
    public func evaluate(_ model: DecoderLM<Float>, windows: [Int]) -> ValidationResult {
        AttnLab.evaluate(model, on: validation, windows: windows, accuracy: metric == .recall)
    }

    /// A result as the values of `evalColumns`: the loss and bits per unit, or the loss and accuracy.
    public func columns(_ r: ValidationResult) -> [Double] {
        switch metric {
        case .text: return [r.loss, r.bitsPerToken]
        case .recall: return [r.loss, r.accuracy]
        }
    }
}
