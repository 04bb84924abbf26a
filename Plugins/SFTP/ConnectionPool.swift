import ConnectorKit
import Foundation

/// SSH sessions shared by one account: parallel transfers each get a session of their own (one
/// channel would serialise them), and finished ones wait here for the next caller. Sessions idle
/// longer than the account's idle_timeout are closed rather than kept alive, like rclone: a NAT or
/// firewall may have dropped them silently.
// Unchecked: libssh2 sessions are not Sendable; each is lent to one caller at a time, under `lock`.
final class ConnectionPool: @unchecked Sendable {
    private let settings: SFTPSettings
    private let host: ConnectorHost
    private let lock = NSLock()
    private var idle: [SSHConnection] = []
    private var closed = false
    /// OpenSSH drops unauthenticated connections beyond MaxStartups (10 by default): handshakes
    /// happen a few at a time.
    private let handshakes = DispatchSemaphore(value: 4)
    private static let maxIdle = 16

    init(settings: SFTPSettings, host: ConnectorHost) {
        self.settings = settings
        self.host = host
    }

    /// A session for the caller alone until it is given back.
    func take() throws -> SSHConnection {
        var stale: [SSHConnection] = []
        defer {
            for connection in stale { connection.close() }
        }
        lock.lock()
        let now = Date()
        while let last = idle.popLast() {
            if now.timeIntervalSince(last.idleSince) < settings.idleTimeout {
                lock.unlock()
                return last
            }
            stale.append(last)
        }
        lock.unlock()
        try host.checkCancelled()
        handshakes.wait()
        defer { handshakes.signal() }
        return try SSHConnection(settings: settings, host: host)
    }

    /// Returns a session; a broken one is closed instead.
    func give(_ connection: SSHConnection) {
        lock.lock()
        if connection.isBroken || closed || idle.count >= ConnectionPool.maxIdle {
            lock.unlock()
            connection.close()
            return
        }
        connection.idleSince = Date()
        idle.append(connection)
        lock.unlock()
    }

    /// Runs `body` on a session. When the session turns out dead (a server restart, an idle
    /// connection a firewall dropped) and `retry` allows, runs it once more on a fresh one: only
    /// for work that is safe to repeat.
    func with<T>(retry: () -> Bool = { true }, _ body: (SSHConnection) throws -> T) throws -> T {
        let (connection, result) = try attempt(retry: retry, body)
        give(connection)
        return result
    }

    /// Like `with`, but on success the session stays with the caller (a reader or writer that
    /// keeps it until it closes, then gives it back).
    func keep<T>(_ body: (SSHConnection) throws -> T) throws -> (SSHConnection, T) {
        try attempt(retry: { true }, body)
    }

    private func attempt<T>(retry: () -> Bool, _ body: (SSHConnection) throws -> T) throws -> (SSHConnection, T) {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try take()
            do {
                return (connection, try body(connection))
            } catch {
                let broken = connection.isBroken
                give(connection)
                guard broken, attempt == 1, retry() else { throw error }
                host.log(.debug, "sftp: session to \(settings.label) was lost; retrying on a new one")
            }
        }
    }

    func closeAll() {
        lock.lock()
        closed = true
        let all = idle
        idle = []
        lock.unlock()
        for connection in all { connection.close() }
    }
}
