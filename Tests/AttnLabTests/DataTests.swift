import AttnLab
import Foundation
import Testing

/// A fresh temporary folder per test; tests write everything they read.
private func tempDir() throws -> String {
    let path = NSTemporaryDirectory() + "attnlab-data-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func put(_ data: Data, _ path: String) throws { try data.write(to: URL(fileURLWithPath: path)) }

private func message(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

private let fortunesPresent = FileManager.default.fileExists(atPath: TextCorpus.fortunesDirectory)

@Suite struct DataTests {
    // MARK: tokenizers

    @Test func byteTokenizerRoundTripsUTF8() throws {
        let text = "naïve café – 𝄞 ok\n"
        let tok = ByteTokenizer()
        let ids = tok.encode(Array(text.utf8))
        #expect(ids.count == text.utf8.count && ids.count > text.unicodeScalars.count)
        #expect(ids == text.utf8.map { Int32($0) })
        #expect(tok.decode(ids) == text)
        let rebuilt = try makeTokenizer(serialized: tok.serialized)
        #expect(rebuilt.kind == "byte" && rebuilt.vocabSize == 256)
        #expect(try rebuilt.encode(Array(text.utf8)) == ids)
    }

    @Test func charTokenizerIsSortedAndRoundTrips() throws {
        let text = "hello wörld, héllo\n"
        let tok = try CharTokenizer(trainingText: Array(text.utf8))
        let values = tok.vocabulary.map(\.value)
        #expect(values == Set(text.unicodeScalars.map(\.value)).sorted())
        #expect(tok.vocabSize == 12)
        let ids = try tok.encode(Array(text.utf8))
        #expect(ids.count == text.unicodeScalars.count)
        #expect(tok.decode(ids) == text)
        let rebuilt = try makeTokenizer(serialized: tok.serialized)
        #expect(rebuilt.kind == "char" && rebuilt.vocabSize == 12)
        #expect(try rebuilt.encode(Array(text.utf8)) == ids)
    }

    @Test func charTokenizerRejectsOrReplacesUnseen() throws {
        let tok = try CharTokenizer(trainingText: Array("abc".utf8))
        let m = message { _ = try tok.encode(Array("abäc".utf8)) }
        #expect(m.contains("'ä'") && m.contains("U+00E4") && m.contains("position 2"))
        #expect(message { _ = try tok.encode([0x61, 0xFF]) }.contains("invalid UTF-8 at byte offset 1"))
        let lenient = try CharTokenizer(trainingText: Array("abc".utf8), reserveReplacement: true)
        let ids = try lenient.encode(Array("abäc".utf8))
        #expect(ids[2] == lenient.replacementID && lenient.decode(ids) == "ab\u{FFFD}c")
        #expect(message { _ = try makeTokenizer(serialized: "bpe") }.contains("expected kind"))
    }

    // MARK: token files

    @Test func tokenFilesRoundTripBothFormats() throws {
        let dir = try tempDir()
        let tokens: [Int32] = [0, 1, 50256, 300, 65535, 7]
        for format in TokenFileFormat.allCases {
            let path = "\(dir)/t.\(format.rawValue).bin"
            try TokenFile.write(tokens, path: path, format: format)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            #expect(size == (format == .llmc ? 1024 : 0) + 2 * tokens.count)
            #expect(try TokenFile.read(path: path, format: format, vocabSize: 65536) == tokens)
        }
        let raw = [UInt8](FileManager.default.contents(atPath: "\(dir)/t.llmc.bin")!)
        #expect(Array(raw[0..<12]) == [0x88, 0xD8, 0x34, 0x01, 1, 0, 0, 0, 6, 0, 0, 0])  // 20240520, 1, 6 LE
        #expect(raw[12..<1024].allSatisfy { $0 == 0 })
        #expect(Array(raw[1028..<1030]) == [0x50, 0xC4])  // 50256 = 0xC450, little-endian
        #expect(message { try TokenFile.write([70000], path: "\(dir)/x.bin", format: .nanoGPT) }.contains("expected 0...65535"))
    }

    @Test func tokenFileCorruptionsAreRejected() throws {
        let dir = try tempDir()
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = "\(dir)/\(name)"
            try put(Data(bytes), path)
            return path
        }
        func header(magic: Int32 = 20_240_520, version: Int32 = 1, count: Int32) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 1024)
            for (i, v) in [magic, version, count].enumerated() {
                withUnsafeBytes(of: v.littleEndian) { for (j, b) in $0.enumerated() { h[4 * i + j] = b } }
            }
            return h
        }
        let odd = try write([1, 0, 2], "odd.bin")
        var m = message { _ = try TokenFile.read(path: odd, format: .nanoGPT, vocabSize: 50257) }
        #expect(m.contains(odd) && m.contains("size 3 bytes is odd"))
        let magic = try write(header(magic: 1234, count: 1) + [1, 0], "magic.bin")
        m = message { _ = try TokenFile.read(path: magic, format: .llmc, vocabSize: 50257) }
        #expect(m.contains(magic) && m.contains("magic") && m.contains("1234") && m.contains("20240520"))
        let version = try write(header(version: 2, count: 1) + [1, 0], "version.bin")
        m = message { _ = try TokenFile.read(path: version, format: .llmc, vocabSize: 50257) }
        #expect(m.contains(version) && m.contains("version") && m.contains("is 2; expected 1"))
        let count = try write(header(count: 5) + [1, 0, 2, 0], "count.bin")
        m = message { _ = try TokenFile.read(path: count, format: .llmc, vocabSize: 50257) }
        #expect(m.contains(count) && m.contains("token_count") && m.contains("is 5; expected 2"))
        let short = try write([0x88, 0xD8, 0x34, 0x01], "short.bin")
        m = message { _ = try TokenFile.read(path: short, format: .llmc, vocabSize: 50257) }
        #expect(m.contains(short) && m.contains("smaller than the llm.c header"))
        let big = try write(header(count: 3) + [1, 0, 0x52, 0xC4, 2, 0], "big.bin")  // 0xC452 = 50258
        m = message { _ = try TokenFile.read(path: big, format: .llmc, vocabSize: 50257) }
        #expect(m.contains(big) && m.contains("token id 50258 at byte offset 1026") && m.contains("< 50257"))
        let missing = "\(dir)/none.bin"
        #expect(message { _ = try TokenFile.read(path: missing, format: .nanoGPT, vocabSize: 10) }.contains(missing))
    }

    // MARK: corpora

    @Test func fortunesFolderIsNormalised() throws {
        let dir = try tempDir()
        let fm = FileManager.default
        try put(Data("second\n%\nlast without separator\n".utf8), "\(dir)/b")
        try put(Data("%\nfirst\nline two\n%\n\n%\n".utf8), "\(dir)/a")
        try put(Data([0, 1, 2]), "\(dir)/a.dat")
        try fm.createSymbolicLink(atPath: "\(dir)/a.u8", withDestinationPath: "a")
        try fm.createDirectory(atPath: "\(dir)/off", withIntermediateDirectories: true)
        try put(Data("offensive\n%\n".utf8), "\(dir)/off/rude")
        let corpus = try TextCorpus.fortunes(directory: dir)
        #expect(String(decoding: corpus.bytes, as: UTF8.self) == "first\nline two\n%\nsecond\n%\nlast without separator\n%\n")
        #expect(corpus.files == ["\(dir)/a", "\(dir)/b"])
        let m = message { _ = try TextCorpus.fortunes(directory: "\(dir)/absent") }
        #expect(m.contains("\(dir)/absent") && m.contains("apt-get install fortunes fortunes-min"))
    }

    @Test(.enabled(if: fortunesPresent, "Debian fortunes packages not installed; run apt-get install fortunes fortunes-min"))
    func debianFortunesLoad() throws {
        let corpus = try TextCorpus.fortunes()
        #expect(corpus.bytes.count > 1_000_000)
        #expect(corpus.bytes.suffix(2) == [UInt8(ascii: "%"), 10])
        #expect(!corpus.files.contains { $0.hasSuffix(".dat") || $0.hasSuffix(".u8") })
        #expect(corpus.files == corpus.files.sorted())
        let h = unigramEntropy(bytes: corpus.bytes)
        #expect(h > 4 && h < 5.5)  // English text: about 4.5-5 bits per byte
        let data = try TokenDataset.text(corpus.bytes, tokenizer: "char", valFraction: 0.1)
        #expect(data.tokenizer.decode(Array(data.train.prefix(200))) == String(decoding: corpus.bytes.prefix(200), as: UTF8.self))
    }

    @Test func textFileAndTinyShakespeare() throws {
        let dir = try tempDir()
        let m = message { _ = try TextCorpus.tinyShakespeare(dataDir: dir) }
        #expect(m.contains("\(dir)/tinyshakespeare.txt") && m.contains("attnlab data fetch tinyshakespeare"))
        try put(Data("First Citizen:\n".utf8), "\(dir)/tinyshakespeare.txt")
        #expect(try TextCorpus.tinyShakespeare(dataDir: dir).bytes == Array("First Citizen:\n".utf8))
        #expect(try TextCorpus.file("\(dir)/tinyshakespeare.txt").bytes.count == 15)
        #expect(message { _ = try TextCorpus.file("\(dir)/nope.txt") }.contains("\(dir)/nope.txt"))
    }

    // MARK: MQAR

    @Test func mqarStructure() throws {
        let (v, t, k, n) = (128, 64, 8, 200)
        let gen = try MQARGenerator(vocab: v, seqLen: t, numKVPairs: k)
        let batch = gen.generate(count: n, seed: 11)
        #expect(batch.inputs.count == n * t && batch.targets.count == n * t)
        for row in 0..<n {
            let x = Array(batch.inputs[(row * t)..<((row + 1) * t)])
            let y = Array(batch.targets[(row * t)..<((row + 1) * t)])
            let keys = stride(from: 0, to: 2 * k, by: 2).map { x[$0] }
            let values = stride(from: 1, to: 2 * k, by: 2).map { x[$0] }
            #expect(keys.allSatisfy { $0 >= 1 && $0 < 64 } && Set(keys).count == k)
            #expect(values.allSatisfy { $0 >= 64 && $0 < 128 } && Set(values).count == k)
            #expect(y[..<(2 * k)].allSatisfy { $0 == ignoreIndex })
            var answered = Set<Int32>()
            for p in (2 * k)..<t where y[p] != ignoreIndex {
                #expect((p - 2 * k) % 2 == 0)
                let i = try #require(keys.firstIndex(of: x[p]))
                #expect(y[p] == values[i])
                answered.insert(x[p])
            }
            #expect(answered.count == k)  // every key queried exactly once, nothing else labelled
            #expect(y.filter { $0 != ignoreIndex }.count == k)
            #expect(x.allSatisfy { $0 >= 0 && $0 < Int32(v) })
        }
        #expect(gen.generate(count: n, seed: 11) == batch)
        #expect(gen.generate(count: n, seed: 12) != batch)
        let plain = try MQARGenerator(vocab: v, seqLen: t, numKVPairs: k, randomNonQueries: false).generate(count: 5, seed: 1)
        #expect(plain.inputs.filter { $0 == 0 }.count == 5 * (t - 3 * k))  // zoology's 0 filler: all but pairs and queries
    }

    @Test func mqarGapsFollowPowerLaw() throws {
        // One pair in 64 tokens: 31 gaps; p ~ (g+1)^-0.99 puts ~84% of queries in the first 16.
        func early(_ a: Double) throws -> Double {
            let b = try MQARGenerator(vocab: 100, seqLen: 64, numKVPairs: 1, powerA: a).generate(count: 2000, seed: 5)
            var hits = 0
            for row in 0..<2000 {
                let p = try #require((2..<64).first { b.targets[row * 64 + $0] != ignoreIndex })
                if (p - 2) / 2 < 16 { hits += 1 }
            }
            return Double(hits) / 2000
        }
        #expect(try early(0.01) > 0.78)
        #expect(abs(try early(1.0) - 16.0 / 31.0) < 0.05)  // power_a = 1 is uniform
    }

    @Test func mqarConstraintErrors() {
        #expect(message { _ = try MQARGenerator(vocab: 128, seqLen: 64, numKVPairs: 17) }.contains("num_kv_pairs * 4 = 68 exceeds seq_len 64"))
        #expect(message { _ = try MQARGenerator(vocab: 64, seqLen: 64, numKVPairs: 4) }.contains("expected vocab > 64"))
        #expect(message { _ = try MQARGenerator(vocab: 128, seqLen: 63, numKVPairs: 4) }.contains("even"))
    }

    @Test func mqarDatasetSplitsAndSamples() throws {
        let gen = try MQARGenerator(vocab: 256, seqLen: 32, numKVPairs: 4)
        let data = MQARDataset(generator: gen, trainExamples: 64, validationExamples: 16, seed: 3)
        #expect(data.train == gen.generate(count: 64, seed: 3))
        #expect(data.validation == gen.generate(count: 16, seed: 3 ^ MQARDataset.validationSeedMask))
        #expect(data.validation.inputs != Array(data.train.inputs.prefix(16 * 32)))
        // One validation window per example, whatever the batch size.
        let set = try ValidationSet(examples: data.validation)
        #expect(set.count == 16 && set.windowLength == 32 && set.batch(set.all) == data.validation)
        #expect(set.batch([3]).targets == Array(data.validation.targets[(3 * 32)..<(4 * 32)]))
        var sampler = try BatchSampler(examples: data.train, batchSize: 8, rng: SeededRandom(seed: 9))
        let batch = sampler.next()
        for r in 0..<8 {
            let row = Array(batch.inputs[(r * 32)..<((r + 1) * 32)])
            let k = try #require((0..<64).first { Array(data.train.inputs[($0 * 32)..<(($0 + 1) * 32)]) == row })
            #expect(Array(batch.targets[(r * 32)..<((r + 1) * 32)]) == Array(data.train.targets[(k * 32)..<((k + 1) * 32)]))
        }
    }

    // MARK: splits and batches

    /// Tokens 0, 1, 2, ... so that a window's position is visible in its values.
    private func ramp(_ n: Int) throws -> TokenDataset {
        try TokenDataset(tokens: (0..<Int32(n)).map { $0 }, tokenizer: PretokenizedVocabulary(vocabSize: n), valFraction: 0.1)
    }

    @Test func splitIsContiguousTail() throws {
        let d = try ramp(1005)
        #expect(d.splitIndex == 905 && d.train.count == 905 && d.validation.count == 100)
        #expect(d.validation.first == 905 && d.train.last == 904)
        #expect(try ramp(1005).splitIndex == d.splitIndex)
        #expect(message { _ = try TokenDataset.splitIndex(count: 10, valFraction: 1) }.contains("val_fraction"))
        #expect(message { _ = try TokenDataset(tokens: [3], tokenizer: PretokenizedVocabulary(vocabSize: 3), valFraction: 0) }.contains("expected 0..<3"))
        // Char vocabulary comes from the training split; a validation-only 'z' becomes U+FFFD.
        let text = Array((String(repeating: "ab", count: 45) + "abzzabzzab").utf8)
        let c = try TokenDataset.text(text, tokenizer: "char", valFraction: 0.1)
        #expect(c.tokenizer.vocabSize == 3 && c.unseenCharacters == 4)
        #expect(c.tokenizer.decode(Array(c.validation)) == "ab\u{FFFD}\u{FFFD}ab\u{FFFD}\u{FFFD}ab")
        let clean = try TokenDataset.text(Array(String(repeating: "abc", count: 10).utf8), tokenizer: "char", valFraction: 0.2)
        #expect(clean.tokenizer.vocabSize == 3 && clean.unseenCharacters == 0 && clean.train.count == 24)
    }

    @Test func batchSamplerIsDeterministicAndResumable() throws {
        let d = try ramp(2000)
        var a = try BatchSampler(stream: d.train, seqLen: 16, batchSize: 4, rng: SeededRandom(seed: 42))
        var b = try BatchSampler(stream: d.train, seqLen: 16, batchSize: 4, rng: SeededRandom(seed: 42))
        let first = (0..<3).map { _ in a.next() }
        #expect(first == (0..<3).map { _ in b.next() })
        #expect(first[0] != first[1])
        for batch in first {
            for r in 0..<4 {
                let row = batch.inputs[(r * 16)..<((r + 1) * 16)]
                #expect(zip(row.dropFirst(), row).allSatisfy { $0 == $1 + 1 })  // one contiguous window
                #expect(zip(batch.targets[(r * 16)..<((r + 1) * 16)], row).allSatisfy { $0 == $1 + 1 })
                #expect(row.last! + 1 < Int32(d.splitIndex))  // never reaches validation
            }
        }
        let saved = a.rng.state
        let expected = (0..<2).map { _ in a.next() }
        var resumed = try BatchSampler(stream: d.train, seqLen: 16, batchSize: 4, rng: SeededRandom(state: saved))
        #expect((0..<2).map { _ in resumed.next() } == expected)
        #expect(message { _ = try BatchSampler(stream: d.train.prefix(16), seqLen: 16, batchSize: 1, rng: SeededRandom(seed: 1)) }.contains("seq_len = 16"))
    }

    @Test func validationSetCoversTheSplitOnce() throws {
        let d = try ramp(2000)  // validation = tokens 1800..<2000: 200 tokens, 199 targets
        let v = try ValidationSet(stream: d.validation, seqLen: 10)
        #expect(v.count == 19 && v.windowLength == 10)  // floor(199 / 10); the last 9 targets are not scored
        let all = v.batch(v.all)
        #expect(all.batchSize == 19)
        for w in 0..<19 {
            let start = Int32(1800 + w * 10)  // stride seq_len: windows share one token
            #expect(Array(all.inputs[(w * 10)..<((w + 1) * 10)]) == Array(start..<(start + 10)))
            #expect(Array(all.targets[(w * 10)..<((w + 1) * 10)]) == Array((start + 1)...(start + 10)))
        }
        // Every target after the first token, exactly once, up to the unscored remainder.
        #expect(all.targets == Array(1801...1990))
        // Periodic subsets: floor(i * W / n), spread over the whole split; 0 or >= W = all.
        #expect(v.subset(windows: 4) == [0, 4, 9, 14])
        #expect(v.subset(windows: 0) == v.all && v.subset(windows: 19) == v.all && v.subset(windows: 50) == v.all)
        #expect(v.leading(tokens: 25) == [0, 1, 2] && v.leading(tokens: 20) == [0, 1] && v.leading(tokens: 0) == v.all)
        #expect(v.leading(tokens: 10_000) == v.all)
        #expect(try ValidationSet(stream: d.validation, seqLen: 10) == v)
        #expect(try ValidationSet(stream: d.validation.prefix(11), seqLen: 10).count == 1)
        let m = message { _ = try ValidationSet(stream: d.validation.prefix(10), seqLen: 10) }
        #expect(m.contains("10 tokens") && m.contains("seq_len + 1 = 11"))
    }

    // MARK: entropy and hashing

    @Test func unigramEntropyOfKnownDistributions() {
        #expect(abs(unigramEntropy((0..<64).map { Int32($0 % 8) }, vocab: 8) - 3) < 1e-12)
        #expect(abs(unigramEntropy([0, 0, 1, 2], vocab: 5) - 1.5) < 1e-12)
        #expect(unigramEntropy([4, 4, 4], vocab: 5) == 0)
        #expect(abs(unigramEntropy(bytes: Array("aabb".utf8)) - 1) < 1e-12)
    }

    @Test func sha256MatchesFIPSVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // MARK: fetch over loopback

    @Test func fetchWritesVerifiedContent() throws {
        let body = Array("To be, or not to be: that is the question.\n".utf8)
        let server = try LoopbackHTTPServer(body: body)
        let dir = try tempDir()
        let n = try Downloader.fetchVerified(url: server.url, to: "\(dir)/sub/out.txt", sha256: SHA256.hex(body), size: body.count)
        server.waitUntilStopped()
        #expect(n == body.count)
        #expect(FileManager.default.contents(atPath: "\(dir)/sub/out.txt") == Data(body))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/sub") == ["out.txt"])
    }

    @Test func fetchRejectsWrongContentAndLeavesNoFile() throws {
        let good = Array("expected content\n".utf8), bad = Array("tampered content\n".utf8)
        let dir = try tempDir()
        let server = try LoopbackHTTPServer(body: bad)
        let m = message { try Downloader.fetchVerified(url: server.url, to: "\(dir)/out.txt", sha256: SHA256.hex(good), size: good.count) }
        server.waitUntilStopped()
        #expect(m.contains("sha256 \(SHA256.hex(bad))") && m.contains("expected \(SHA256.hex(good))"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let short = try LoopbackHTTPServer(body: Array(good.dropLast()))
        let s = message { try Downloader.fetchVerified(url: short.url, to: "\(dir)/out.txt", sha256: SHA256.hex(good), size: good.count) }
        short.waitUntilStopped()
        #expect(s.contains("returned 16 bytes; expected 17"))
        let missing = try LoopbackHTTPServer(body: Array("not found".utf8), status: 404)
        let e = message { try Downloader.fetchVerified(url: missing.url, to: "\(dir)/out.txt", sha256: SHA256.hex(good), size: nil) }
        missing.waitUntilStopped()
        #expect(e.contains("HTTP status 404"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
