import ArgumentParser
import AttnLab
import Foundation

/// `attnlab data ...`: parses options and delegates to the library's data layer.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Fetch and inspect corpora.",
        subcommands: [Fetch.self, Info.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a pinned corpus, verify its SHA-256 and size, and write it atomically.")

        @Argument(help: "Dataset name (tinyshakespeare).") var name: String
        @Option(help: "Folder to write into.") var dir = "data"
        @Option(help: "Mirror URL to download from instead of the pinned one (the hash stays pinned).") var url: String?

        func run() throws {
            let dataset = try KnownDataset.named(name)
            let path = try Downloader.fetch(dataset, dir: dir, url: url)
            print("wrote \(path): \(dataset.size) bytes, sha256 \(dataset.sha256)")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a corpus's size, vocabularies and unigram entropies.")

        @Option(help: "fortunes (Debian packages), file (needs --path) or tinyshakespeare (in --dir).") var source: DataConfig.Source = .fortunes
        @Option(help: "Text file for --source file.") var path: String?
        @Option(help: "Data folder for --source tinyshakespeare.") var dir = "data"
        @Option(parsing: .unconditional, help: "Validation fraction for the char split report, in (0, 0.5].") var valFraction = 0.1

        func validate() throws {
            try checkOption("--val-fraction", valFraction, valFraction > 0 && valFraction <= 0.5, expected: "a number in (0, 0.5]")
            switch source {
            case .fortunes, .tinyshakespeare: break
            case .file: if path == nil { throw ValidationError("--source file needs --path P") }
            case .tokens, .mqar: throw ValidationError("--source: expected fortunes, file or tinyshakespeare (a text corpus), found \(source.rawValue)")
            }
        }

        func run() throws {
            let corpus = try TextCorpus.load(source, path: path.map { URL(fileURLWithPath: $0) }, dataDirectory: dir)
            let bytes = corpus.bytes
            print("corpus: \(corpus.name) (\(corpus.files.count) file\(corpus.files.count == 1 ? "" : "s"))")
            print("size: \(bytes.count) bytes, sha256 \(SHA256.hex(bytes))")
            print("byte vocab: \(Set(bytes).count) of 256, unigram entropy \(fmt(unigramEntropy(bytes: bytes))) bits/byte")
            do {
                let chars = try CharTokenizer(trainingText: bytes)
                let ids = try chars.encode(bytes)
                print("char vocab: \(chars.vocabSize), \(ids.count) characters, unigram entropy \(fmt(unigramEntropy(ids, vocab: chars.vocabSize))) bits/char")
                let split = try TokenDataset.text(bytes, tokenizer: "char", valFraction: valFraction)
                print("char split (val_fraction \(valFraction)): train \(split.train.count), validation \(split.validation.count), vocab \(split.tokenizer.vocabSize), validation characters unseen in training: \(split.unseenCharacters)")
            } catch {
                print("char vocab: not UTF-8 text (\(error))")
            }
        }

        private func fmt(_ x: Double) -> String { String(format4: x) }
    }
}

extension String {
    /// Four decimals without Foundation's locale-dependent formatting.
    init(format4 x: Double) {
        let scaled = (x * 10_000).rounded()
        let whole = Int(scaled) / 10_000, frac = abs(Int(scaled)) % 10_000
        let f = String(frac)
        self = "\(whole)." + String(repeating: "0", count: 4 - f.count) + f
    }
}
