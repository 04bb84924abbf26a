import Foundation

/// A TCP server on 127.0.0.1 that answers every request with the same bytes and closes: for
/// replies no HTTP server library would send (garbled, cut inside the headers).
final class CannedReplyServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let thread: Thread

    init(reply: [UInt8]) throws {
        let (fd, port) = try Loopback.bind(listening: 16)
        self.port = port
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
