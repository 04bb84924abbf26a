import EmulatorKit
import Foundation

/// A TCP proxy on 127.0.0.1 in front of a real server (sshd) that cuts connections at random: each
/// piece of traffic it passes (up to 32 KiB, either way) ends its connection with probability
/// `cutRate`, both sides closed at once, mid-command or mid-file. For protocols without HTTP's
/// statuses (SFTP), a dropped connection is the fault a real network produces.
final class TCPFaultProxy: @unchecked Sendable {
    let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var dice: FaultDice
    private var cutRate: Double
    private var cutCount = 0

    init(targetPort: Int, cutRate: Double, seed: UInt64) throws {
        self.targetPort = targetPort
        self.cutRate = cutRate
        dice = FaultDice(seed: seed)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw CannedReplyError(description: "proxy cannot listen: errno \(errno)")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let accepting = Thread { [self] in acceptLoop() }
        accepting.start()
    }

    /// Connections cut so far.
    var cuts: Int {
        lock.lock()
        defer { lock.unlock() }
        return cutCount
    }

    func calm() {
        lock.lock()
        cutRate = 0
        lock.unlock()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // the listener was shut down
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            let link = Link(client: client, server: server)
            for (from, to) in [(client, server), (server, client)] {
                let pump = Thread { [self] in self.pump(from, to, link) }
                pump.start()
            }
        }
    }

    /// One connection's two sockets, closed once both directions ended.
    private final class Link: @unchecked Sendable {
        let client: Int32
        let server: Int32
        private let lock = NSLock()
        private var ended = 0

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }

        func cut() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(server, Int32(SHUT_RDWR))
        }

        func end() {
            lock.lock()
            ended += 1
            let last = ended == 2
            lock.unlock()
            cut()
            if last {
                close(client)
                close(server)
            }
        }
    }

    private func pump(_ from: Int32, _ to: Int32, _ link: Link) {
        defer { link.end() }
        var buffer = [UInt8](repeating: 0, count: 32 << 10)
        while true {
            let n = read(from, &buffer, buffer.count)
            if n <= 0 { return }
            lock.lock()
            let cut = dice.roll(cutRate)
            if cut { cutCount += 1 }
            lock.unlock()
            if cut {
                // Half the piece goes through, then the connection is gone.
                _ = buffer.withUnsafeBytes { send(to, $0.baseAddress, n / 2, Int32(MSG_NOSIGNAL)) }
                link.cut()
                return
            }
            var sent = 0
            while sent < n {
                // MSG_NOSIGNAL: a peer already gone must not raise SIGPIPE, which would end the tests.
                let w = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { return }
                sent += w
            }
        }
    }
}
