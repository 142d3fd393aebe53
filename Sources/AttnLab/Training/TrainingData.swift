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
    public let validation: [TokenBatch]
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
            validation = try set.validationBatches(batchSize: config.train.batchSize)
            metric = .recall
            description = "MQAR: vocab \(d.mqar.vocab), seq_len \(d.mqar.seqLen), \(d.mqar.numKVPairs) key-value pairs, \(d.mqar.trainExamples) train / \(d.mqar.valExamples) validation examples"
            unigramBits = nil
            return
        }
        let dataset: TokenDataset
        let origin: String
        switch d.source {
        case .tokens:
            guard let url = d.resolvedPath() else { throw DataError("data.path: expected a token file for source tokens, found nothing") }
            let tokens = try TokenFile.read(path: url.path, format: d.tokenFormat == .llmc ? .llmc : .nanoGPT, vocabSize: vocab)
            dataset = try TokenDataset(tokens: tokens, tokenizer: PretokenizedVocabulary(vocabSize: vocab), valFraction: d.valFraction)
            origin = "\(url.path) (\(d.tokenFormat.rawValue) token file, \(tokens.count) tokens)"
        default:
            let corpus = try TextCorpus.load(d.source, path: d.resolvedPath(), dataDirectory: dataDirectory)
            dataset = try TokenDataset.text(corpus.bytes, tokenizer: d.tokenizer.rawValue, valFraction: d.valFraction)
            origin = "\(corpus.name) (\(corpus.bytes.count) bytes, \(d.tokenizer.rawValue) tokenizer)"
        }
        guard dataset.tokenizer.vocabSize <= vocab else {
            throw DataError("model.vocab_size: expected at least the tokenizer's \(dataset.tokenizer.vocabSize) tokens, found \(vocab)")
        }
        tokenizer = dataset.tokenizer
        sampler = try BatchSampler(stream: dataset.train, seqLen: d.seqLen, batchSize: config.train.batchSize, rng: rng)
        validation = try dataset.validationBatches(batches: config.eval.batches, batchSize: config.train.batchSize, seqLen: d.seqLen)
        metric = .text(unit: dataset.tokenizer.unit)
        description = "\(origin); \(dataset.train.count) train / \(dataset.validation.count) validation tokens (val_fraction \(d.valFraction))"
        unigramBits = unigramEntropy(dataset.train, vocab: dataset.tokenizer.vocabSize)
    }

    /// Validation loss and the metric's second column, over the whole fixed validation set.
    public func evaluate(_ model: DecoderLM<Float>) -> [Double] {
        switch metric {
        case .text:
            let loss = meanLoss(model, batches: validation)
            return [loss, loss / log(2)]
        case .recall:
            let (loss, accuracy) = meanLossAndRecall(model, batches: validation)
            return [loss, accuracy]
        }
    }
}
