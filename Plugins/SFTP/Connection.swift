import CLibssh2
import ConnectorKit
import Foundation

/// One SSH session with its SFTP channel. libssh2 allows one thread at a time per session and
/// everything hanging off it, so a connection belongs to one caller between `ConnectionPool.take`
/// and `give`. Blocking mode throughout: every call waits at most the account's timeout.
final class SSHConnection {
    let session: OpaquePointer
    let sftp: OpaquePointer
    let label: String
    private let socket: Int32
    private(set) var isBroken = false
    var idleSince = Date()
    /// Command processes started on this session, by program (CommandChannel).
    private var commandChannels: [String: CommandChannel] = [:]

    init(settings: SFTPSettings, host: ConnectorHost) throws {
        label = settings.label
        guard sc_ssh_global_init() == 0 else { throw ConnectorFailure(.internal, "sftp: libssh2 failed to start") }
        var kind: Int32 = 0
        var detail: Int32 = 0
        let fd = sc_ssh_connect(
            settings.host, Int32(settings.port), settings.connectTimeoutMilliseconds, &kind, &detail)
        guard fd >= 0 else { throw SSHConnection.connectFailure(settings, kind: kind, detail: detail) }
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            Glibc.close(fd)
            throw ConnectorFailure(.internal, "sftp: libssh2 could not create a session")
        }
        self.session = session
        socket = fd
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, settings.timeoutMilliseconds)
        // OpenSSH's own order, so the key the server shows is the one `ssh` recorded in known_hosts.
        libssh2_session_method_pref(
            session, LIBSSH2_METHOD_HOSTKEY,
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa")
        var ready = false
        defer {
            if !ready { SSHConnection.release(session, fd, polite: false) }
        }
        let rc = libssh2_session_handshake(session, fd)
        guard rc == 0 else {
            throw ConnectorFailure(
                .transient, "sftp: SSH handshake with \(settings.label) failed: \(SSHConnection.message(session, rc))")
        }
        try HostKeys.verify(session, settings, host: host)
        try SSHAuth.authenticate(session, settings)
        guard let sftp = libssh2_sftp_init(session) else {
            let rc = libssh2_session_last_errno(session)
            // A server without SFTP denies the subsystem request; a channel that could not even
            // open is a connection that broke (or a server at its session limit): temporary.
            let refused = rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED
            throw ConnectorFailure(
                refused ? .unsupported : .transient,
                "sftp: \(settings.label) \(refused ? "refused the SFTP subsystem" : "could not start SFTP"): \(SSHConnection.message(session, rc))"
            )
        }
        self.sftp = sftp
        // Keepalives go out while libssh2 waits on the socket (a long transfer through a NAT);
        // idle pooled sessions are closed instead (ConnectionPool).
        libssh2_keepalive_config(session, 1, 30)
        ready = true
    }

    func markBroken() { isBroken = true }

    /// This session's process for `program`, started on first use.
    func commandChannel(_ program: String, host: ConnectorHost) throws -> CommandChannel {
        if let open = commandChannels[program] { return open }
        let started = try CommandChannel(program: program, on: self)
        host.log(.debug, "sftp: started a \(program) process on a session to \(label)")
        commandChannels[program] = started
        return started
    }

    /// Drops a command process that failed; the next request starts another.
    func dropCommandChannel(_ program: String) {
        commandChannels.removeValue(forKey: program)?.close()
    }

    /// Ends the session: politely when it still works, by closing the socket when it does not
    /// (a goodbye to a dead server would wait out the timeout).
    func close() {
        for channel in commandChannels.values { channel.close() }
        commandChannels = [:]
        if !isBroken { libssh2_sftp_shutdown(sftp) }
        SSHConnection.release(session, socket, polite: !isBroken)
    }

    private static func release(_ session: OpaquePointer, _ fd: Int32, polite: Bool) {
        if polite {
            libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "bye", "")
        }
        libssh2_session_free(session)
        Glibc.close(fd)
    }

    /// libssh2's text for a session's last error (also before the connection is complete).
    static func message(_ session: OpaquePointer, _ rc: Int32) -> String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        libssh2_session_last_error(session, &message, &length, 0)
        if let message, length > 0 { return String(cString: message) }
        return "libssh2 error \(rc)"
    }

    private static func connectFailure(_ settings: SFTPSettings, kind: Int32, detail: Int32) -> ConnectorFailure {
        let target = "\(settings.host):\(settings.port)"
        switch kind {
        case 1:
            // A name that does not exist is a setting to fix; a resolver that is down may recover.
            let code: ErrorCode = detail == EAI_AGAIN ? .transient : .invalidArgument
            return ConnectorFailure(
                code, "sftp: cannot resolve host '\(settings.host)': \(String(cString: gai_strerror(detail)))")
        case 2:
            return ConnectorFailure(.transient, "sftp: connection to \(target) refused (is the SSH server running?)")
        case 3:
            return ConnectorFailure(
                .transient,
                "sftp: connecting to \(target) timed out after \(settings.connectTimeoutMilliseconds / 1000) s")
        default:
            return ConnectorFailure(
                .transient, "sftp: cannot connect to \(target): \(String(cString: strerror(detail)))")
        }
    }
}
