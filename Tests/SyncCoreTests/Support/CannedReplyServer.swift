import Foundation

/// A TCP server on 127.0.0.1 that answers every request with the same bytes and closes: for
/// replies no HTTP server library would send (garbled, cut inside the headers).
final class CannedReplyServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let thread: Thread

    init(reply: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw CannedReplyError(description: "cannot listen: errno \(errno)")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }  // the listener was shut down
                var buffer = [UInt8](repeating: 0, count: 65536)
                var seen: [UInt8] = []
                // Read the request's head (tests send no bodies here), then answer and close.
                while !seen.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    seen += buffer[0..<n]
                }
                _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

struct CannedReplyError: Error, CustomStringConvertible {
    var description: String
}
