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
    private let cutRate: Double
    private var cutCount = 0

    init(targetPort: Int, cutRate: Double, seed: UInt64) throws {
        self.targetPort = targetPort
        self.cutRate = cutRate
        dice = FaultDice(seed: seed)
        (listener, port) = try Loopback.bind(listening: 64)
        let accepting = Thread { [self] in acceptLoop() }
        accepting.start()
    }

    /// Connections cut so far.
    var cuts: Int {
        lock.lock()
        defer { lock.unlock() }
        return cutCount
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // the listener was shut down
            }
            guard let server = Loopback.connect(port: targetPort) else {
                close(client)
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
