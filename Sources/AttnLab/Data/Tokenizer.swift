/// Maps raw bytes to token ids and back. `serialized` is stored in run files so a run can be
/// decoded later without the corpus that built the vocabulary.
public protocol Tokenizer: Sendable {
    var vocabSize: Int { get }
    var kind: String { get }
    /// What one token is, for "bits per <unit>" figures: byte, char or token.
    var unit: String { get }
    var serialized: String { get }
    func encode(_ bytes: [UInt8]) throws -> [Int32]
    func decode(_ ids: [Int32]) -> String
}

/// Rebuilds a tokenizer from its `serialized` form: `byte`, `char:<scalar>,<scalar>,...` or
/// `pretokenized:<vocab size>`.
public func makeTokenizer(serialized: String) throws -> any Tokenizer {
    if serialized == ByteTokenizer.tag { return ByteTokenizer() }
    if serialized.hasPrefix(CharTokenizer.tag + ":") {
        let body = serialized.dropFirst(CharTokenizer.tag.count + 1)
        var scalars: [Unicode.Scalar] = []
        for field in body.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = UInt32(field), let scalar = Unicode.Scalar(value) else {
                throw DataError("serialized char tokenizer: entry '\(field)' is not a Unicode scalar value (expected a decimal code point)")
            }
            scalars.append(scalar)
        }
        return try CharTokenizer(vocabulary: scalars)
    }
    if serialized.hasPrefix(PretokenizedVocabulary.tag + ":") {
        guard let v = Int(serialized.dropFirst(PretokenizedVocabulary.tag.count + 1)), v > 0 else {
            throw DataError("serialized pretokenized vocabulary: size in '\(serialized)' is not a positive integer")
        }
        return PretokenizedVocabulary(vocabSize: v)
    }
    throw DataError("serialized tokenizer '\(serialized.prefix(40))': expected kind byte, char:... or pretokenized:N")
}

/// One token per byte: any input encodes, and decoding of UTF-8 text is exact.
public struct ByteTokenizer: Tokenizer {
    static let tag = "byte"
    public init() {}
    public var vocabSize: Int { 256 }
    public var kind: String { Self.tag }
    public var unit: String { "byte" }
    public var serialized: String { Self.tag }
    public func encode(_ bytes: [UInt8]) -> [Int32] { bytes.map { Int32($0) } }
    /// Ids outside 0..<256 cannot come from this tokenizer's model; they decode as U+FFFD.
    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count)
        for id in ids {
            if id >= 0 && id < 256 { bytes.append(UInt8(id)) } else { bytes += [0xEF, 0xBF, 0xBD] }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Vocabulary of token files tokenized elsewhere (e.g. GPT-2 BPE, 50257): the ids are known but
/// the merges are not, so text cannot be encoded; decoding shows ids so samples stay readable.
public struct PretokenizedVocabulary: Tokenizer {
    static let tag = "pretokenized"
    public let vocabSize: Int
    public init(vocabSize: Int) { self.vocabSize = vocabSize }
    public var kind: String { Self.tag }
    public var unit: String { "token" }
    public var serialized: String { "\(Self.tag):\(vocabSize)" }
    public func encode(_ bytes: [UInt8]) throws -> [Int32] {
        throw DataError("pretokenized vocabulary (size \(vocabSize)) cannot encode text: tokenize it with the tool that wrote the token file")
    }
    public func decode(_ ids: [Int32]) -> String { ids.map { "<\($0)>" }.joined() }
}
