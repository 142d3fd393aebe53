import Foundation

/// What the kernel reports about the processor in /proc/cpuinfo. Kept separate from the reading so
/// the parser can be tested on sample text from machines we do not have.
public struct CPUFeatures: Sendable, Equatable, Codable {
    public var modelName: String?
    public var flags: Set<String>

    public init(modelName: String?, flags: Set<String>) {
        self.modelName = modelName
        self.flags = flags
    }

    /// Parses /proc/cpuinfo text. All processors of one machine report the same flags, so the first
    /// `flags` line is enough; a missing line yields an empty set, which makes every later
    /// decision conservative rather than wrong.
    public static func parse(cpuinfo: String) -> CPUFeatures {
        var model: String?
        var flags: Set<String>?
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "model name", model == nil, !value.isEmpty {
                model = value
            } else if key == "flags", flags == nil {
                flags = Set(value.split(separator: " ").map { $0.lowercased() })
            }
            if model != nil, flags != nil { break }
        }
        return CPUFeatures(modelName: model, flags: flags ?? [])
    }

    /// The running machine's features; empty when /proc/cpuinfo is unavailable (non-Linux, sandbox).
    public static func current(path: String = "/proc/cpuinfo") -> CPUFeatures {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return CPUFeatures(modelName: nil, flags: [])
        }
        return parse(cpuinfo: text)
    }

    /// The flags that decide which OpenBLAS kernels can run, in the order they are worth reporting.
    public static let relevantFlags = [
        "avx", "avx2", "fma",
        "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd",
        "avx512_bf16", "avx512_fp16", "avx512_vnni", "amx_tile", "amx_bf16",
    ]
}
