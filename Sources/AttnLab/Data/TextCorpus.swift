import Foundation

/// A text corpus as raw UTF-8 bytes plus where they came from (for run files and `data info`).
public struct TextCorpus: Sendable {
    public let name: String
    public let bytes: [UInt8]
    /// Files read, in the order their contents appear in `bytes`.
    public let files: [String]

    public init(name: String, bytes: [UInt8], files: [String]) {
        self.name = name; self.bytes = bytes; self.files = files
    }

    public static let fortunesDirectory = "/usr/share/games/fortunes"
    public static let fortunesInstall = "apt-get install fortunes fortunes-min"

    /// The default English corpus: Debian's `fortunes` and `fortunes-min` plain-text files.
    /// Files are taken from the folder itself only (sub-folders such as `off/` are skipped),
    /// without the `.dat` index and `.u8` links, sorted by byte-wise file name. Each fortune is
    /// kept followed by its `%` line: the separator acts as an end-of-document token the model
    /// learns cheaply, like GPT-2's `<|endoftext|>`. Files whose last fortune lacks the closing
    /// `%` line get one, and empty fortunes are dropped, so every document ends in "%\n".
    public static func fortunes(directory: String = fortunesDirectory) throws -> TextCorpus {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw DataError("fortunes corpus: folder \(directory) does not exist; install it with `\(fortunesInstall)` (or run `attnlab setup`)")
        }
        let names = try fm.contentsOfDirectory(atPath: directory).filter { name in
            guard !name.hasPrefix("."), !name.hasSuffix(".dat"), !name.hasSuffix(".u8") else { return false }
            let attrs = try? fm.attributesOfItem(atPath: directory + "/" + name)
            return attrs?[.type] as? FileAttributeType == .typeRegular
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var out: [UInt8] = []
        for name in names {
            let path = directory + "/" + name
            guard let data = fm.contents(atPath: path) else {
                throw DataError("fortunes corpus: file \(path) cannot be read")
            }
            appendFortunes([UInt8](data), to: &out)
        }
        guard !out.isEmpty else {
            throw DataError("fortunes corpus: folder \(directory) holds no fortune files; expected the files of `\(fortunesInstall)`")
        }
        return TextCorpus(name: "fortunes", bytes: out, files: names.map { directory + "/" + $0 })
    }

    /// Splits one fortune file on lines that are exactly "%" and appends each non-blank fortune
    /// followed by "%\n".
    static func appendFortunes(_ file: [UInt8], to out: inout [UInt8]) {
        let newline = UInt8(ascii: "\n"), percent = UInt8(ascii: "%")
        var doc: [UInt8] = []
        func flush() {
            if doc.contains(where: { $0 != newline && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
                out += doc
                if doc.last != newline { out.append(newline) }
                out += [percent, newline]
            }
            doc.removeAll(keepingCapacity: true)
        }
        var lineStart = 0
        while lineStart < file.count {
            let end = file[lineStart...].firstIndex(of: newline) ?? file.count
            let line = file[lineStart..<end]
            if line.count == 1 && line.first == percent || (line.count == 2 && line.first == percent && line.last == UInt8(ascii: "\r")) {
                flush()
            } else {
                doc += line
                doc.append(newline)
            }
            lineStart = end + 1
        }
        flush()
    }

    /// Any file, read as raw bytes.
    public static func file(_ path: String) throws -> TextCorpus {
        if let problem = RegularFile.problem(path) {
            throw DataError("text corpus: file \(path) cannot be read: \(problem) (expected an existing text file)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("text corpus: file \(path) cannot be read (expected an existing text file)")
        }
        return TextCorpus(name: URL(fileURLWithPath: path).lastPathComponent, bytes: [UInt8](data), files: [path])
    }

    /// `<dataDir>/tinyshakespeare.txt`, as written by `attnlab data fetch tinyshakespeare`.
    public static func tinyShakespeare(dataDir: String) throws -> TextCorpus {
        let path = dataDir + "/" + KnownDataset.tinyShakespeare.fileName
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError("tiny Shakespeare: \(path) does not exist; run `attnlab data fetch tinyshakespeare --dir \(dataDir)` or pass the file's path as a file corpus")
        }
        let corpus = try file(path)
        return TextCorpus(name: "tinyshakespeare", bytes: corpus.bytes, files: corpus.files)
    }
}

extension TextCorpus {
    /// The text a data source names: Debian's fortunes, `tinyshakespeare.txt` in
    /// `dataDirectory`, or the file at `path` (`data.path`, resolved). The one place that maps
    /// `data.source` to a corpus.
    ///
    /// - Throws: `DataError` for `file` without a path, a missing file, and the sources that are
    ///   not text (`tokens`, `mqar`).
    public static func load(_ source: DataConfig.Source, path: URL?, dataDirectory: String) throws -> TextCorpus {
        switch source {
        case .fortunes: return try fortunes()
        case .tinyshakespeare: return try tinyShakespeare(dataDir: dataDirectory)
        case .file:
            guard let path else { throw DataError("data.path: expected a text file for source file, found nothing") }
            return try file(path.path)
        case .tokens, .mqar:
            throw DataError("data.source \(source.rawValue): pre-tokenized or synthetic data, not a text corpus; give a text file its tokenizer can read")
        }
    }
}
