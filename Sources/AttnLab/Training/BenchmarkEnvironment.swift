import Foundation

/// Where and when a benchmark ran, stored with its rows (`attnlab bench --json`).
public struct BenchmarkEnvironment: Codable, Sendable {
    /// ISO 8601, UTC.
    public var date: String
    public var host: String
    /// OpenBLAS core in use (`openBLASCoreName()`).
    public var blasCore: String
    /// Cores the process may use.
    public var cores: Int
    /// 1-, 5- and 15-minute load averages at the start (`/proc/loadavg`; empty where unknown):
    /// a loaded machine gives slower, noisier figures.
    public var loadAverage: [Double]

    /// The environment now.
    public static func current() -> BenchmarkEnvironment {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
            .split(separator: " ").prefix(3).compactMap { Double($0) }
        return BenchmarkEnvironment(
            date: formatter.string(from: Date()), host: ProcessInfo.processInfo.hostName, blasCore: openBLASCoreName(),
            cores: ProcessInfo.processInfo.activeProcessorCount, loadAverage: load)
    }

    /// One line for the top of a printed table.
    public var summary: String {
        "\(date) on \(host): BLAS core \(blasCore), \(cores) cores, load average \(loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " "))"
    }
}

/// Writes `value` as sorted, indented JSON with snake_case keys to `path`.
/// - Throws: `BenchmarkOutputError` naming the file and the cause when it cannot be written.
public func writeBenchmarkJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    do {
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    } catch {
        throw BenchmarkOutputError("cannot write \(path): \(error.localizedDescription)")
    }
}

/// Refuses a `--json` path that cannot be written before any timing starts (a benchmark can run
/// for hours): the file must be writable if it exists, its folder writable if it does not.
/// - Throws: `BenchmarkOutputError` naming the path and the reason.
public func checkBenchmarkOutput(_ path: String) throws {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
        if isDirectory.boolValue { throw BenchmarkOutputError("cannot write \(path): it is a directory") }
        if !fm.isWritableFile(atPath: path) { throw BenchmarkOutputError("cannot write \(path): permission denied") }
        return
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw BenchmarkOutputError("cannot write \(path): no folder \(folder)")
    }
    if !fm.isWritableFile(atPath: folder) { throw BenchmarkOutputError("cannot write \(path): folder \(folder) is not writable") }
}

/// A benchmark's output file could not be written.
public struct BenchmarkOutputError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
