import Foundation

nonisolated(unsafe) private var sshdPIDs: [pid_t] = []
private let sshdLock = NSLock()

/// OpenSSH's sshd on 127.0.0.1 on a free port, with a generated host key, client keys and a config
/// of its own in a temporary folder (`../shared/api/sftp.md` §11). Accounts point their `root` at
/// `data`, so tests read what landed straight from the disk. Stopped at exit, or by `kill()`.
final class SSHServer: @unchecked Sendable {
    struct Options {
        var passwords = false
        /// `ForceCommand internal-sftp`: no shell, so no server-side hashes.
        var sftpOnly = false
    }

    let dir: String
    let data: String
    let port: Int
    let clientKey: String
    /// The same key as `clientKey`, protected by `passphrase`.
    let lockedKey: String
    let passphrase = "correct horse battery staple"
    let knownHosts: String
    let fingerprint: String
    let user: String
    private(set) var pid: pid_t = 0
    private let options: Options

    private static let lock = NSLock()
    nonisolated(unsafe) private static var running: SSHServer?

    /// The process-wide server for tests that only need one, started on first use.
    static func shared() throws -> SSHServer {
        lock.lock()
        defer { lock.unlock() }
        if let running { return running }
        let server = try SSHServer()
        running = server
        return server
    }

    init(_ options: Options = Options()) throws {
        self.options = options
        dir = TestSupport.temporaryDirectory("sshd")
        data = dir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        port = try MotoServer.freePort()
        clientKey = dir + "/client_key"
        lockedKey = dir + "/locked_key"
        knownHosts = dir + "/known_hosts"
        user = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        try SSHServer.keygen(dir + "/host_key", passphrase: "")
        try SSHServer.keygen(clientKey, passphrase: "")
        try SSHServer.keygen(lockedKey, passphrase: passphrase)
        let authorized = try [clientKey, lockedKey].map { try String(contentsOfFile: $0 + ".pub", encoding: .utf8) }
        try authorized.joined().write(toFile: dir + "/authorized_keys", atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: dir + "/host_key.pub", encoding: .utf8).split(separator: " ")
        try "[127.0.0.1]:\(port) \(hostKey[0]) \(hostKey[1])\n".write(
            toFile: knownHosts, atomically: true, encoding: .utf8)
        let printed = try TestSupport.run("/usr/bin/ssh-keygen", ["-lf", dir + "/host_key.pub"]).stdout
        fingerprint = String(printed.split(separator: " ")[1])
        var config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(dir)/host_key
            PidFile \(dir)/sshd.pid
            AuthorizedKeysFile \(dir)/authorized_keys
            PermitRootLogin yes
            PubkeyAuthentication yes
            PasswordAuthentication \(options.passwords ? "yes" : "no")
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            LogLevel VERBOSE
            MaxStartups 64
            MaxSessions 64
            Subsystem sftp internal-sftp

            """
        if options.sftpOnly { config += "ForceCommand internal-sftp\n" }
        try config.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
        mkdir("/run/sshd", 0o755)
        try start()
    }

    deinit { kill() }

    var log: String { (try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? "" }

    /// Account options for this server (the connector's names), logging in with the plain key.
    func accountOptions(root: String? = nil) -> [String] {
        [
            "host=127.0.0.1", "port=\(port)", "user=\(user)", "key_file=\(clientKey)", "known_hosts=\(knownHosts)",
            "root=\(root ?? data)",
        ]
    }

    /// Starts (or restarts, on the same port) the listener.
    func start() throws {
        pid = try SSHServer.spawn(
            "/usr/sbin/sshd",  // it re-executes itself: an absolute path
            ["-f", dir + "/sshd_config", "-D", "-E", dir + "/sshd.log"])
        sshdLock.lock()
        sshdPIDs.append(pid)
        if sshdPIDs.count == 1 {
            atexit {
                sshdLock.lock()
                for pid in sshdPIDs { SSHServer.killTree(pid) }
                sshdLock.unlock()
            }
        }
        sshdLock.unlock()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if log.contains("Server listening on 127.0.0.1 port \(port)") { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let seen = log
        kill()
        throw SSHServerError(description: "sshd did not start on port \(port): \(seen)")
    }

    /// Starts a long-running helper (sshd, ssh-agent) with posix_spawn rather than Foundation's
    /// Process, which learns of a child's exit when a socket the child inherited closes: a helper
    /// that forks keeps it open, and Process then waits forever (or reaps the wrong child).
    /// Signals start unblocked (the test runner's threads block some). Stop it with `killTree`.
    static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer {
            for arg in argv { free(arg) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw SSHServerError(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Kills the listener and every session it forked, as a crash or power cut of the server would.
    func kill() {
        guard pid > 0 else { return }
        SSHServer.killTree(pid)
        pid = 0
    }

    /// SIGKILL to `root` and its descendants (found through /proc), children first known.
    static func killTree(_ root: pid_t) {
        var family = [root]
        var index = 0
        while index < family.count {
            family += children(of: family[index])
            index += 1
        }
        for pid in family { Glibc.kill(pid, SIGKILL) }
        var status: Int32 = 0
        waitpid(root, &status, 0)
    }

    private static func children(of parent: pid_t) -> [pid_t] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name),
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }

    private static func keygen(_ path: String, passphrase: String) throws {
        let made = try TestSupport.run(
            "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "sync-core-test", "-f", path])
        guard made.status == 0 else { throw SSHServerError(description: "ssh-keygen failed: \(made.stderr)") }
    }

    struct SSHServerError: Error, CustomStringConvertible { let description: String }
}
