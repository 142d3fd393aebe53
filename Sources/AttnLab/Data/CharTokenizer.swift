/// One token per Unicode scalar. The vocabulary is the set of scalars of the training split,
/// sorted by scalar value, so the same text always yields the same ids.
///
/// Unseen scalars: if the vocabulary contains U+FFFD (REPLACEMENT CHARACTER) they encode as its
/// id; otherwise `encode` throws, naming the character and its position, because a silent
/// stand-in would change a loss without anyone noticing. `TokenDataset.text` adds U+FFFD only when
/// the validation split holds characters the training split lacks (the fortunes corpus has one,
/// 'ü') and reports how many it replaced; tiny Shakespeare keeps its exact 65-character vocabulary.
public struct CharTokenizer: Tokenizer {
    static let tag = "char"
    public let vocabulary: [Unicode.Scalar]
    // Sorted scalar values, searched by bisection: vocabularies are small and this stays Sendable.
    private let values: [UInt32]

    public init(vocabulary: [Unicode.Scalar]) throws {
        let values = vocabulary.map(\.value)
        for i in values.indices.dropFirst() where values[i] <= values[i - 1] {
            throw DataError("char vocabulary: entry \(i) (U+\(hex(values[i]))) is not above entry \(i - 1); expected strictly increasing scalar values")
        }
        guard !values.isEmpty else { throw DataError("char vocabulary: empty; expected at least one character") }
        self.vocabulary = vocabulary
        self.values = values
    }

    /// Vocabulary = distinct scalars of `trainingText` (UTF-8), plus U+FFFD when
    /// `reserveReplacement` (so that unseen characters map to it instead of throwing).
    public init(trainingText: [UInt8], reserveReplacement: Bool = false) throws {
        let scalars = try Self.scalars(trainingText, source: "training text")
        var distinct = Set(scalars.map(\.value))
        if reserveReplacement { distinct.insert(Self.replacement.value) }
        try self.init(vocabulary: distinct.sorted().map { Unicode.Scalar($0)! })
    }

    public static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// Id that unseen characters encode to, if the vocabulary has U+FFFD.
    public var replacementID: Int32? { index(of: Self.replacement.value).map { Int32($0) } }

    public var vocabSize: Int { values.count }
    public var kind: String { Self.tag }
    public var unit: String { "char" }
    public var serialized: String { Self.tag + ":" + values.map(String.init).joined(separator: ",") }

    public func encode(_ bytes: [UInt8]) throws -> [Int32] {
        let scalars = try Self.scalars(bytes, source: "text to encode")
        var ids = [Int32](repeating: 0, count: scalars.count)
        let fallback = replacementID.map(Int.init)
        for (i, s) in scalars.enumerated() {
            guard let id = index(of: s.value) ?? fallback else {
                throw DataError("char tokenizer: character '\(s.escaped(asASCII: false))' (U+\(hex(s.value))) at character position \(i) is not in the \(values.count)-character vocabulary built from the training split")
            }
            ids[i] = Int32(id)
        }
        return ids
    }

    public func decode(_ ids: [Int32]) -> String {
        var out = String.UnicodeScalarView()
        for id in ids { out.append(id >= 0 && Int(id) < values.count ? vocabulary[Int(id)] : "\u{FFFD}") }
        return String(out)
    }

    private func index(of value: UInt32) -> Int? {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < values.count && values[lo] == value ? lo : nil
    }

    /// Strict UTF-8 decoding: invalid bytes are an error with their offset, not U+FFFD, so that
    /// decode(encode(x)) == x holds for every accepted input.
    static func scalars(_ bytes: [UInt8], source: String) throws -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(bytes.count)
        var decoder = UTF8()
        var it = bytes.makeIterator()
        var offset = 0
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): out.append(s); offset += UTF8.width(s)
            case .emptyInput: break loop
            case .error: throw DataError("\(source): invalid UTF-8 at byte offset \(offset); the char tokenizer expects UTF-8 text")
            }
        }
        return out
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}
