/// `tokenizer.json` (Hugging Face `tokenizers` format) and `tokenizer_config.json` that give
/// exactly AttnLab's token ids, so `AutoTokenizer.from_pretrained(DIR)` encodes like AttnLab:
///
/// - byte tokenizer: id = the UTF-8 byte. A byte-level BPE with no merges: the `ByteLevel`
///   pre-tokenizer (no prefix space, no regex split) maps each byte to one character of GPT-2's
///   byte alphabet, and the vocabulary maps that character to the byte's value; the `ByteLevel`
///   decoder maps back. Every string encodes, one id per byte.
/// - char tokenizer: id = the position of the Unicode scalar in the run's sorted vocabulary.
///   A BPE with no merges and no pre-tokenizer splits text into scalars and looks each up; the
///   `Fuse` decoder joins them. U+FFFD, when in the vocabulary, is the unknown token, as in
///   AttnLab; without it AttnLab refuses unseen characters while this tokenizer drops them.
/// - pre-tokenized (MQAR, token files): no tokenizer file; ids are the data's own.
///
/// No special tokens are added (no BOS/EOS), as in training.
public enum HuggingFaceTokenizer {
    /// One file to write: its name in the model folder and its text.
    public struct File: Sendable {
        public let name: String
        public let text: String
    }

    /// The files for `tokenizer` (none for a pre-tokenized vocabulary).
    ///
    /// - Throws: `ExportError` for a tokenizer kind this exporter does not know.
    public static func files(_ tokenizer: any Tokenizer, maxLength: Int) throws -> [File] {
        let model: ExportJSON
        let preTokenizer: ExportJSON, decoder: ExportJSON
        switch tokenizer {
        case is ByteTokenizer:
            let byteLevel: ExportJSON = .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                                 ("trim_offsets", .bool(false)), ("use_regex", .bool(false))])
            let alphabet = byteAlphabet()
            model = bpe(vocab: (0..<256).map { (String(alphabet[$0]), $0) }, unknown: nil)
            (preTokenizer, decoder) = (byteLevel, byteLevel)
        case let chars as CharTokenizer:
            let vocab = chars.vocabulary.enumerated().map { (String($0.element), $0.offset) }
            model = bpe(vocab: vocab, unknown: chars.replacementID == nil ? nil : String(CharTokenizer.replacement))
            (preTokenizer, decoder) = (.null, .object([("type", .string("Fuse"))]))
        case is PretokenizedVocabulary:
            return []
        default:
            throw ExportError("no Hugging Face tokenizer for AttnLab tokenizer kind '\(tokenizer.kind)'")
        }
        let json: ExportJSON = .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array([])),
            ("normalizer", .null), ("pre_tokenizer", preTokenizer), ("post_processor", .null), ("decoder", decoder),
            ("model", model),
        ])
        let config: ExportJSON = .object([
            ("tokenizer_class", .string("PreTrainedTokenizerFast")), ("model_max_length", .int(maxLength)),
            ("clean_up_tokenization_spaces", .bool(false)), ("add_bos_token", .bool(false)), ("add_eos_token", .bool(false)),
        ])
        return [File(name: "tokenizer.json", text: json.text(indent: 2) + "\n"),
                File(name: "tokenizer_config.json", text: config.text(indent: 2) + "\n")]
    }

    private static func bpe(vocab: [(String, Int)], unknown: String?) -> ExportJSON {
        .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", unknown.map { .string($0) } ?? .null),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
            ("byte_fallback", .bool(false)), ("ignore_merges", .bool(false)),
            ("vocab", .object(vocab.map { ($0.0, .int($0.1)) })), ("merges", .array([])),
        ])
    }

    /// GPT-2's byte-to-character table (`bytes_to_unicode` in `tokenizers`' ByteLevel): the
    /// printable bytes `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves, the other 68 bytes map in
    /// order to U+0100 onwards.
    public static func byteAlphabet() -> [Character] {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [Character](repeating: " ", count: 256)
        var next = 256
        for b in 0..<256 {
            let code = printable.contains(b) ? b : { defer { next += 1 }; return next }()
            table[b] = Character(Unicode.Scalar(UInt32(code))!)
        }
        return table
    }
}
