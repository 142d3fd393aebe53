import Foundation

/// On-disk formats of BPE token streams prepared by other tools.
public enum TokenFileFormat: String, Sendable, CaseIterable {
    /// nanoGPT's `train.bin`/`val.bin`: raw little-endian uint16 ids, no header.
    case nanoGPT = "nanogpt"
    /// llm.c's `.bin`: a 1024-byte header of 256 little-endian int32 (magic 20240520, version 1,
    /// token count, zeros), then little-endian uint16 ids.
    case llmc
}

public enum TokenFile {
    public static let llmcMagic: Int32 = 20_240_520
    public static let llmcVersion: Int32 = 1
    public static let llmcHeaderBytes = 1024

    /// Reads and validates a token file; every id must be below `vocabSize` (GPT-2: 50257),
    /// because an out-of-range id would index past the embedding table.
    public static func read(path: String, format: TokenFileFormat, vocabSize: Int) throws -> [Int32] {
        if let problem = RegularFile.problem(path) {
            throw DataError("token file \(path): cannot be read: \(problem) (expected an existing \(format.rawValue) token file)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("token file \(path): cannot be read (expected an existing \(format.rawValue) token file)")
        }
        return try data.withUnsafeBytes { raw -> [Int32] in
            let size = raw.count
            var start = 0
            switch format {
            case .nanoGPT:
                guard size % 2 == 0 else {
                    throw DataError("token file \(path): size \(size) bytes is odd; expected an even size (nanoGPT format, 2 bytes per uint16 token)")
                }
            case .llmc:
                guard size >= llmcHeaderBytes else {
                    throw DataError("token file \(path): size \(size) bytes is smaller than the llm.c header; expected at least \(llmcHeaderBytes) bytes")
                }
                let magic = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: Int32.self))
                let version = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: Int32.self))
                let count = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: Int32.self))
                guard magic == llmcMagic else {
                    throw DataError("token file \(path): header field magic (int32 #0) is \(magic); expected \(llmcMagic) (llm.c format)")
                }
                guard version == llmcVersion else {
                    throw DataError("token file \(path): header field version (int32 #1) is \(version); expected \(llmcVersion) (uint16 tokens)")
                }
                let body = size - llmcHeaderBytes
                guard body % 2 == 0 else {
                    throw DataError("token file \(path): \(body) bytes after the header is odd; expected an even size (2 bytes per uint16 token)")
                }
                guard Int(count) == body / 2 else {
                    throw DataError("token file \(path): header field token_count (int32 #2) is \(count); expected \(body / 2) to match the \(body) bytes after the header")
                }
                start = llmcHeaderBytes
            }
            let n = (size - start) / 2
            var ids = [Int32](repeating: 0, count: n)
            let limit = vocabSize
            var bad = -1
            ids.withUnsafeMutableBufferPointer { out in
                for i in 0..<n {
                    let v = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self))
                    out[i] = Int32(v)
                    if Int(v) >= limit && bad < 0 { bad = i }
                }
            }
            if bad >= 0 {
                throw DataError("token file \(path): token id \(ids[bad]) at byte offset \(start + 2 * bad) (token #\(bad)) is not below the vocabulary size; expected < \(vocabSize)")
            }
            return ids
        }
    }

    /// Writes `tokens` atomically (temporary file, then rename). Ids must fit in uint16.
    public static func write(_ tokens: [Int32], path: String, format: TokenFileFormat) throws {
        var data = Data()
        if format == .llmc {
            guard tokens.count <= Int(Int32.max) else {
                throw DataError("token file \(path): \(tokens.count) tokens do not fit the int32 token_count header field")
            }
            var header = [Int32](repeating: 0, count: llmcHeaderBytes / 4)
            header[0] = llmcMagic; header[1] = llmcVersion; header[2] = Int32(tokens.count)
            header.withUnsafeBufferPointer { h in
                for v in h { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
            }
        }
        var body = [UInt8](repeating: 0, count: tokens.count * 2)
        for (i, t) in tokens.enumerated() {
            guard t >= 0 && t <= Int32(UInt16.max) else {
                throw DataError("token file \(path): token #\(i) is \(t); expected 0...65535 (uint16)")
            }
            body[2 * i] = UInt8(t & 0xFF); body[2 * i + 1] = UInt8(t >> 8)
        }
        data.append(contentsOf: body)
        try atomicWrite(data, to: path)
    }
}

/// Writes through a temporary file in the destination folder and renames it into place, so a
/// reader never sees a half-written file and a failure leaves nothing behind.
func atomicWrite(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let temp = dir.appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try data.write(to: temp)
        guard rename(temp.path, url.path) == 0 else {
            throw DataError("\(path): rename from \(temp.path) failed (errno \(errno))")
        }
    } catch {
        try? FileManager.default.removeItem(at: temp)
        throw error
    }
}
