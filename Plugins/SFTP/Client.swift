import CLibssh2
import ConnectorKit
import Foundation

/// SFTP servers over SSH (libssh2): the NAS behind Plex or Jellyfin, a seedbox, any host with
/// OpenSSH. Host keys are checked against known_hosts before anything is sent; parallel work runs
/// on a pool of sessions; uploads land under a partial name and are renamed into place; the server
/// computes MD5/SHA-1 for verification when it runs commands.
// Unchecked: the one mutable field, the folders made, is under `foldersLock`.
final class SFTPConnector: Connector, ServerMove, OnDemandHashing, QuotaReporting, @unchecked Sendable {
    static let info = ConnectorInfo(
        name: "sftp",
        version: "1.0.0",
        summary:
            "SFTP over SSH (libssh2): known_hosts checked, parallel sessions, atomic uploads, server-side md5/sha1",
        capabilities: [.rangedRead, .setMtime, .unknownSize, .atomicWrite, .emptyDirectories, .resumableUpload],
        hashKinds: [.md5, .sha1],
        mtimePrecisionNanoseconds: 1_000_000_000,
        nameRules: .init(forbiddenCharacters: "/", maxNameBytes: 255),
        options: [
            .init("host", required: true, help: "Server name or address"),
            .init("port", .int, default: 22, help: "SSH port"),
            .init("user", help: "Login name (default: the local user's)"),
            .init("key_file", .path, help: "Private key (OpenSSH or PEM format); default: the agent, then ~/.ssh/id_*"),
            .init("key_passphrase", secret: true, help: "Passphrase of key_file"),
            .init("password", secret: true, help: "Password (plain or keyboard-interactive)"),
            .init("use_agent", .bool, default: true, help: "Try the keys of ssh-agent ($SSH_AUTH_SOCK)"),
            .init("known_hosts", .path, default: "~/.ssh/known_hosts", help: "Host keys trusted (OpenSSH format)"),
            .init(
                "host_key_fingerprint",
                help: "Trust exactly this host key instead of known_hosts (SHA256:…, as ssh-keygen -lf prints it)"),
            .init(
                "accept_new_host_key", .bool, default: false,
                help:
                    "Trust an unknown host key on first connection and save it to known_hosts (a changed key is always refused)"
            ),
            .init("root", help: "Folder on the server the account starts at (default: the login folder)"),
            .init(
                "remote_hashes", .bool, default: true,
                help: "Verify with md5sum/sha1sum run on the server, when it allows commands (detected)"),
            .init(
                "sessions_per_file", .int, default: 2,
                help: "Sessions one large upload (64 MiB and up) is written on at once, in 8 MiB parts"),
            .init("connect_timeout", .int, default: 15, help: "Seconds to wait for a connection"),
            .init("timeout", .int, default: 60, help: "Seconds without progress before a session is given up"),
            .init("idle_timeout", .int, default: 60, help: "Seconds an unused session is kept open"),
        ])

    let host: ConnectorHost
    let settings: SFTPSettings
    let paths: SFTPPaths
    let pool: ConnectionPool
    let hasher: RemoteHasher
    let sessionsPerFile: Int
    /// Folders known to exist, so uploads into them spend no round trip on them.
    private let foldersLock = NSLock()
    private var folders: Set<String> = []

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        self.host = host
        settings = try SFTPSettings(config: config)
        paths = SFTPPaths(root: settings.root)
        pool = ConnectionPool(settings: settings, host: host)
        hasher = RemoteHasher(enabled: settings.remoteHashes, host: host)
        sessionsPerFile = Int(min(max(1, config.int("sessions_per_file") ?? 2), 16))
        // Connect now: a wrong host key, password or address is one clear error at open.
        pool.give(try pool.take())
    }

    func close() { pool.closeAll() }

    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        try SFTPReader(connector: self, path: path, offset: offset, length: length)
    }

    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try SFTPWriter(connector: self, path: path, options: options)
    }

    // MARK: - Folders

    func mkdir(_ path: String) throws {
        try pool.with { c in try makeDirectories(path, on: c) }
    }

    /// Creates `path` and missing parents, one level at a time (SFTP has no `mkdir -p`).
    func makeDirectories(_ path: String, on c: SSHConnection) throws {
        foldersLock.lock()
        let known = folders.contains(path)
        foldersLock.unlock()
        if known { return }
        let remote = try paths.remote(path)
        var rc = libssh2_sftp_mkdir_ex(c.sftp, remote, UInt32(remote.utf8.count), 0o755)
        if rc != 0, c.sftpStatus(rc) == LIBSSH2_FX_NO_SUCH_FILE {
            // The account's root is made too, like `mkdir -p`, when it does not exist yet.
            if path.isEmpty { try makeRoot(on: c) } else { try makeDirectories(SFTPPaths.split(path).parent, on: c) }
            rc = libssh2_sftp_mkdir_ex(c.sftp, remote, UInt32(remote.utf8.count), 0o755)
        }
        if rc != 0 {
            let failure = c.failure(rc, "mkdir", path)
            // OpenSSH says FAILURE for a folder that exists: look.
            guard c.sftpStatus(rc) != nil, let attrs = try SFTPListing.attributes(c, remote, shown: path) else {
                throw failure
            }
            guard SFTPListing.entry(path, attrs)?.isDirectory == true else {
                throw ConnectorFailure(.notADirectory, "sftp: mkdir '\(path)': a file is in the way")
            }
        }
        foldersLock.lock()
        folders.insert(path)
        foldersLock.unlock()
    }

    /// Creates the missing folders of a root given as a path on the server.
    private func makeRoot(on c: SSHConnection) throws {
        let absolute = settings.root.hasPrefix("/")
        var made = ""
        for element in settings.root.split(separator: "/") {
            made = made.isEmpty ? (absolute ? "/" : "") + element : made + "/" + element
            if libssh2_sftp_mkdir_ex(c.sftp, made, UInt32(made.utf8.count), 0o755) != 0,
                try SFTPListing.attributes(c, made, shown: made) == nil
            {
                throw ConnectorFailure(.notFound, "sftp: cannot create the account's root folder '\(settings.root)'")
            }
        }
    }

    private func forgetFolders() {
        foldersLock.lock()
        folders = []
        foldersLock.unlock()
    }

    func remove(_ path: String) throws {
        let remote = try paths.remote(path)
        try pool.with { c in
            let rc = libssh2_sftp_unlink_ex(c.sftp, remote, UInt32(remote.utf8.count))
            guard rc != 0 else { return }
            let failure = c.failure(rc, "remove", path)
            if c.sftpStatus(rc) != nil, let attrs = try SFTPListing.attributes(c, remote, shown: path),
                SFTPListing.entry(path, attrs)?.isDirectory == true
            {
                throw ConnectorFailure(.isADirectory, "sftp: remove '\(path)': a folder")
            }
            throw failure
        }
    }

    func rmdir(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "sftp: the root cannot be removed") }
        let remote = try paths.remote(path)
        forgetFolders()
        try pool.with { c in
            let rc = libssh2_sftp_rmdir_ex(c.sftp, remote, UInt32(remote.utf8.count))
            guard rc != 0 else { return }
            let failure = c.failure(rc, "rmdir", path)
            guard c.sftpStatus(rc) == LIBSSH2_FX_FAILURE else { throw failure }
            // SFTP v3 cannot say "not empty" or "not a folder": look.
            guard let attrs = try SFTPListing.attributes(c, remote, shown: path) else {
                throw ConnectorFailure(.notFound, "sftp: rmdir '\(path)': does not exist")
            }
            if SFTPListing.entry(path, attrs)?.isDirectory != true {
                throw ConnectorFailure(.notADirectory, "sftp: rmdir '\(path)': not a folder")
            }
            throw ConnectorFailure(.notEmpty, "sftp: rmdir '\(path)': folder not empty")
        }
    }

    // MARK: - Moves

    func move(_ from: String, to: String) throws {
        let source = try paths.remote(from)
        let target = try paths.remote(to)
        forgetFolders()
        try pool.with { c in
            if try SFTPListing.attributes(c, target, shown: to) != nil {
                throw ConnectorFailure(.exists, "sftp: move to '\(to)': already exists")
            }
            try makeDirectories(SFTPPaths.split(to).parent, on: c)
            let rc = libssh2_sftp_rename_ex(
                c.sftp, source, UInt32(source.utf8.count), target, UInt32(target.utf8.count), 0)
            guard rc == 0 else { throw c.failure(rc, "move '\(from)' to", to) }
        }
    }

    /// Renames a finished partial file onto its target. SFTP v3 renames never replace, and libssh2
    /// 1.10 cannot send OpenSSH's posix-rename: a replacement goes through `mv -f` (rename(2) on the
    /// server, atomic) when the server runs commands; otherwise the target is removed first, and
    /// for that moment the path is empty, but never half written.
    func renameIntoPlace(_ partial: String, _ target: String, _ path: String, replace: Bool, on c: SSHConnection)
        throws
    {
        func rename() -> Int32 {
            libssh2_sftp_rename_ex(c.sftp, partial, UInt32(partial.utf8.count), target, UInt32(target.utf8.count), 0)
        }
        var rc = rename()
        guard rc != 0 else { return }
        let failure = c.failure(rc, "write", path)
        guard c.sftpStatus(rc) != nil, let attrs = try SFTPListing.attributes(c, target, shown: path) else {
            throw failure
        }
        if SFTPListing.entry(path, attrs)?.isDirectory != false {
            throw ConnectorFailure(.isADirectory, "sftp: write '\(path)': a folder is in the way")
        }
        guard replace else { throw ConnectorFailure(.exists, "sftp: write '\(path)': already exists") }
        if !partial.contains("\n") && !target.contains("\n") && hasher.runsCommands(using: c) {
            do {
                if try c.commandChannel("mv -f", host: host).request([partial, target]).status == 0 {
                    host.log(.debug, "sftp: replaced '\(path)' in one step (mv -f)")
                    return
                }
            } catch {
                c.dropCommandChannel("mv -f")
                if c.isBroken { throw error }
            }
        }
        rc = libssh2_sftp_unlink_ex(c.sftp, target, UInt32(target.utf8.count))
        if rc == 0 { rc = rename() }
        guard rc == 0 else { throw c.failure(rc, "replace", path) }
    }

    // MARK: - Hashes and quota

    func hash(_ path: String, kind: HashKind) throws -> String {
        let remote = try paths.remote(path)
        return try pool.with { c in
            guard let result = try hasher.hash([remote], kind, using: c) else {
                throw ConnectorFailure(.unsupported, "sftp: \(settings.label) computes no \(kind)")
            }
            guard let digest = result.first ?? nil else {
                throw ConnectorFailure(.notFound, "sftp: hash '\(path)': the server could not read it")
            }
            return digest
        }
    }

    func about() throws -> Quota {
        let remote = try paths.remote("")
        return try pool.with { c in
            var st = LIBSSH2_SFTP_STATVFS()
            let rc = libssh2_sftp_statvfs(c.sftp, remote, remote.utf8.count, &st)
            guard rc == 0 else { throw c.failure(rc, "read the disk space of", "") }
            let unit = Int64(st.f_frsize)
            let total = Int64(st.f_blocks) * unit
            let free = Int64(st.f_bavail) * unit
            return Quota(total: total, used: total - Int64(st.f_bfree) * unit, free: free)
        }
    }
}
