import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A corpus that `attnlab data fetch` can download, pinned by size and SHA-256.
public struct KnownDataset: Sendable {
    public let name: String
    public let url: String
    public let fileName: String
    public let sha256: String
    public let size: Int

    /// The char-rnn / nanoGPT Shakespeare corpus.
    public static let tinyShakespeare = KnownDataset(
        name: "tinyshakespeare",
        url: "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        fileName: "tinyshakespeare.txt",
        sha256: "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        size: 1_115_394)

    public static let all = [tinyShakespeare]

    public static func named(_ name: String) throws -> KnownDataset {
        guard let d = all.first(where: { $0.name == name }) else {
            throw DataError("data fetch: unknown dataset '\(name)'; expected one of \(all.map(\.name).joined(separator: ", "))")
        }
        return d
    }
}

public enum Downloader {
    /// Downloads `url` into memory, checks the size (when given) and the SHA-256, then writes
    /// `destination` atomically. On any mismatch nothing is written, so a later run can never
    /// train on a truncated or altered corpus. Returns the number of bytes written.
    @discardableResult
    public static func fetchVerified(url: String, to destination: String, sha256 expected: String, size expectedSize: Int?, timeout: TimeInterval = 120) throws -> Int {
        guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https" else {
            throw DataError("data fetch: URL '\(url)' is not an http(s) URL")
        }
        let bytes = try get(u, timeout: timeout)
        if let expectedSize, bytes.count != expectedSize {
            throw DataError("data fetch: \(url) returned \(bytes.count) bytes; expected \(expectedSize) (nothing written to \(destination))")
        }
        let actual = SHA256.hex(bytes)
        guard actual == expected.lowercased() else {
            throw DataError("data fetch: \(url) has sha256 \(actual); expected \(expected.lowercased()) (nothing written to \(destination))")
        }
        try atomicWrite(Data(bytes), to: destination)
        return bytes.count
    }

    /// Fetches a known dataset into `<dir>/<fileName>`; `url` overrides the pinned address (a
    /// mirror), never the pinned hash.
    @discardableResult
    public static func fetch(_ dataset: KnownDataset, dir: String, url: String? = nil) throws -> String {
        let path = dir + "/" + dataset.fileName
        try fetchVerified(url: url ?? dataset.url, to: path, sha256: dataset.sha256, size: dataset.size)
        return path
    }

    /// Blocking GET through URLSession (libcurl on Linux, so https works); the CLI and tests are
    /// synchronous, and the session's own delegate queue completes the task.
    static func get(_ url: URL, timeout: TimeInterval) throws -> [UInt8] {
        final class Box: @unchecked Sendable { var result: Result<[UInt8], Error> = .failure(DataError("no response")) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(DataError("data fetch: \(url.absoluteString) failed: \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                box.result = .failure(DataError("data fetch: \(url.absoluteString) answered HTTP status \(http.statusCode); expected 200"))
            } else {
                box.result = .success([UInt8](data ?? Data()))
            }
            done.signal()
        }.resume()
        done.wait()
        return try box.result.get()
    }
}
