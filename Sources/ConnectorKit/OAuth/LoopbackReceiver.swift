import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A one-shot HTTP listener on 127.0.0.1 (a random port, or the one a provider has registered)
/// that receives an OAuth redirect: it answers
/// the browser with a short page and hands back the query of the request that carries the expected
/// `state`. Requests without it (a favicon, a forged redirect) are answered and ignored.
public final class LoopbackReceiver {
    public let port: Int
    /// The host name the redirect address names (`localhost` where a provider registers it so).
    public let host: String
    private let fd: Int32

    /// `port` 0 takes any free port.
    public init(port wanted: Int = 0, host: String = "127.0.0.1") throws {
        self.host = host
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectorFailure.posix(errno, "socket", "") }
        // A fixed port may still be in TIME_WAIT from the last authorization.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(wanted).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            let err = errno
            close(fd)
            throw ConnectorFailure.posix(err, "listen on 127.0.0.1", "")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    public var redirectURI: String { "http://\(host):\(port)/" }

    /// Waits for the redirect; throws AUTH when the provider reports an error, and when `timeout`
    /// passes or `isCancelled` turns true.
    public func waitForRedirect(state: String, timeout: TimeInterval, isCancelled: () -> Bool = { false }) throws
        -> [String: String]
    {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isCancelled() { throw ConnectorFailure(.cancelled, "authorization cancelled") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 250) > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            defer { close(client) }
            var wait = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            guard let target = Self.readRequestTarget(client) else { continue }
            let query = target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            let fields = Dictionary(FormEncoding.decode(query), uniquingKeysWith: { first, _ in first })
            guard fields["state"] == state else {
                Self.answer(
                    client, status: "400 Bad Request", "This is not the authorization sync-core is waiting for.")
                continue
            }
            if let error = fields["error"] {
                Self.answer(
                    client, status: "200 OK", "Authorization was not granted (\(error)). You can close this window.")
                throw ConnectorFailure(.auth, "authorization refused: \(error)")
            }
            guard fields["code"] != nil else {
                Self.answer(client, status: "400 Bad Request", "The redirect carries no code.")
                continue
            }
            Self.answer(client, status: "200 OK", "sync-core is authorized. You can close this window.")
            return fields
        }
        throw ConnectorFailure(.auth, "no authorization arrived within \(Int(timeout)) s")
    }

    /// The request target of the first line (`GET /?code=…&state=… HTTP/1.1`), from at most 16 KiB.
    private static func readRequestTarget(_ client: Int32) -> String? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while data.count < 16 << 10 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += chunk[0..<n]
            if data.contains(10) { break }  // the request line is all we need
        }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\r\n").first else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "GET" else { return nil }
        return String(parts[1])
    }

    private static func answer(_ client: Int32, status: String, _ text: String) {
        let body = "<!doctype html><meta charset=utf-8><title>sync-core</title><p>\(text)</p>\n"
        let response =
            "HTTP/1.1 \(status)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }
}
