import Foundation

/// One float32 tensor for a safetensors file: its name, shape and row-major values.
public struct SafetensorsTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]
    public init(name: String, shape: [Int], values: [Float]) { self.name = name; self.shape = shape; self.values = values }
}

/// Writes the safetensors format (Hugging Face, `huggingface/safetensors` README "Format"):
///
/// - 8 bytes: N, the header length, unsigned 64-bit little-endian;
/// - N bytes: a UTF-8 JSON object: per tensor `{"dtype": "F32", "shape": [...], "data_offsets":
///   [begin, end]}` (byte offsets into the data section, end exclusive), plus `"__metadata__"`, a
///   string-to-string map; padded with spaces so the data section starts at a multiple of 8;
/// - the data section: the tensors' little-endian float32 values, row-major, back to back in
///   the order given, with no gaps.
///
/// Metadata always includes `"format": "pt"`, which transformers' loader expects.
public enum SafetensorsFile {
    /// The complete file contents.
    ///
    /// - Throws: `ExportError` when a name repeats or is `__metadata__`, or a shape's element
    ///   count differs from the number of values.
    public static func encode(_ tensors: [SafetensorsTensor], metadata: [(String, String)] = []) throws -> [UInt8] {
        var seen = Set<String>()
        var entries: [(String, ExportJSON)] = []
        let meta = [("format", "pt")] + metadata.filter { $0.0 != "format" }
        entries.append(("__metadata__", .object(meta.map { ($0.0, .string($0.1)) })))
        var offset = 0
        for t in tensors {
            guard t.name != "__metadata__", seen.insert(t.name).inserted else {
                throw ExportError("safetensors: tensor name '\(t.name)' is reserved or repeated")
            }
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw ExportError("safetensors: tensor '\(t.name)' has shape \(t.shape) but \(t.values.count) values")
            }
            let end = offset + 4 * t.values.count
            entries.append((t.name, .object([
                ("dtype", .string("F32")), ("shape", .array(t.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(end)])),
            ])))
            offset = end
        }
        var header = Array(ExportJSON.object(entries).text().utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for t in tensors {
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        }
        return out
    }

    /// Writes `encode(tensors, metadata:)` to `path` (replacing nothing: the file must not exist).
    ///
    /// - Throws: `ExportError` as `encode`, or when the file exists or cannot be written.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [(String, String)] = [], to path: String) throws {
        try ExportFiles.write(Data(try encode(tensors, metadata: metadata)), to: path)
    }
}
