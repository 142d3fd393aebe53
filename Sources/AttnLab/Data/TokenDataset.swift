/// A token stream with its tokenizer, split into train and validation.
///
/// Validation is the last `valFraction` of the stream, contiguous, as nanoGPT does: random
/// windows drawn from one region never overlap text of the other, and a tail split stays the
/// same whatever the window length or seed, so losses are comparable across runs.
public struct TokenDataset: Sendable {
    public let tokens: [Int32]
    public let tokenizer: any Tokenizer
    public let valFraction: Double
    /// First validation token; `tokens[..<splitIndex]` is the training split.
    public let splitIndex: Int
    /// Validation characters absent from the training split, encoded as U+FFFD (char only).
    public let unseenCharacters: Int

    public init(tokens: [Int32], tokenizer: any Tokenizer, valFraction: Double, unseenCharacters: Int = 0) throws {
        self.splitIndex = try Self.splitIndex(count: tokens.count, valFraction: valFraction)
        let v = tokenizer.vocabSize
        if let i = tokens.firstIndex(where: { $0 < 0 || Int($0) >= v }) {
            throw DataError("token dataset: token #\(i) is \(tokens[i]); expected 0..<\(v) (vocab size of the \(tokenizer.kind) tokenizer)")
        }
        self.tokens = tokens; self.tokenizer = tokenizer; self.valFraction = valFraction
        self.unseenCharacters = unseenCharacters
    }

    /// Training split length for a stream of `count` tokens: count - floor(count * valFraction).
    public static func splitIndex(count: Int, valFraction: Double) throws -> Int {
        guard valFraction >= 0 && valFraction < 1 else {
            throw DataError("token dataset: val_fraction is \(valFraction); expected 0 <= val_fraction < 1")
        }
        return count - Int((Double(count) * valFraction).rounded(.down))
    }

    public var train: ArraySlice<Int32> { tokens[..<splitIndex] }
    public var validation: ArraySlice<Int32> { tokens[splitIndex...] }

    /// Tokenizes text with `tokenizer` ("byte" or "char"). The char vocabulary is built from
    /// the training split only (the same split point counted in characters), so validation
    /// never shapes the vocabulary; validation-only characters become U+FFFD (see CharTokenizer)
    /// and are counted in `unseenCharacters`.
    public static func text(_ bytes: [UInt8], tokenizer kind: String, valFraction: Double) throws -> TokenDataset {
        switch kind {
        case "byte":
            return try TokenDataset(tokens: ByteTokenizer().encode(bytes), tokenizer: ByteTokenizer(), valFraction: valFraction)
        case "char":
            let scalars = try CharTokenizer.scalars(bytes, source: "text corpus")
            let split = try splitIndex(count: scalars.count, valFraction: valFraction)
            var trainBytes: [UInt8] = []
            trainBytes.reserveCapacity(bytes.count)
            for s in scalars[..<split] { trainBytes += UTF8.encode(s)! }
            var tok = try CharTokenizer(trainingText: trainBytes)
            let known = Set(tok.vocabulary.map(\.value))
            let unseen = scalars[split...].reduce(0) { $0 + (known.contains($1.value) ? 0 : 1) }
            if unseen > 0 && tok.replacementID == nil {
                tok = try CharTokenizer(trainingText: trainBytes, reserveReplacement: true)
            }
            return try TokenDataset(tokens: tok.encode(bytes), tokenizer: tok, valFraction: valFraction, unseenCharacters: unseen)
        default:
            throw DataError("token dataset: tokenizer '\(kind)'; expected byte or char")
        }
    }
}
