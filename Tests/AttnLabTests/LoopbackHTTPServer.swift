import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-shot HTTP/1.1 server on 127.0.0.1 and an ephemeral port, on its own thread, so fetch
/// tests need no network. It answers at most `requests` requests with the same response, and
/// stops by itself after them or after `idleTimeoutMs` without a connection.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let finished = DispatchSemaphore(value: 0)

    init(body: [UInt8], status: Int = 200, requests: Int = 1, idleTimeoutMs: Int32 = 10_000) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(errno: errno, what: "socket") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { close(fd); throw POSIXError(errno: errno, what: "bind/listen") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        listener = fd
        let reason = status == 200 ? "OK" : "Error"
        let response = Array("HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n".utf8) + body
        let thread = Thread { [self] in
            serve(response: response, requests: requests, idleTimeoutMs: idleTimeoutMs)
            close(listener)
            finished.signal()
        }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)/input.txt" }

    /// Blocks until the server thread has stopped (it always does, by count or by timeout).
    func waitUntilStopped() { finished.wait() }

    private func serve(response: [UInt8], requests: Int, idleTimeoutMs: Int32) {
        for _ in 0..<requests {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, idleTimeoutMs) == 1 else { return }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            readRequestHead(client)
            response.withUnsafeBytes { raw in
                var sent = 0
                while sent < raw.count {
                    let n = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                    if n <= 0 { break }
                    sent += n
                }
            }
            close(client)
        }
    }

    /// Reads until the blank line that ends the request head (GET has no body), bounded in size
    /// and time so a stuck client cannot hold the thread.
    private func readRequestHead(_ client: Int32) {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
        while head.count < 65_536, !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard poll(&pfd, 1, 5_000) == 1 else { return }
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            head += buffer[0..<n]
        }
    }
}

struct POSIXError: Error, CustomStringConvertible {
    let errno: Int32, what: String
    var description: String { "\(what) failed with errno \(errno)" }
}
