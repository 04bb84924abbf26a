import CLibssh2
import ConnectorKit

extension SFTPConnector {
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let remote = try paths.remote(dir)
        let prefix = dir.isEmpty ? "" : dir + "/"
        var emitted = false
        // A session lost before the first entry is retried; after it, entries would repeat.
        try pool.with(
            retry: { !emitted },
            { c in
                let handle = try SFTPListing.openFolder(c, remote, shown: dir)
                defer { libssh2_sftp_close_handle(handle) }
                var name = [CChar](repeating: 0, count: 4096)
                var long = [CChar](repeating: 0, count: 4096)
                var attrs = LIBSSH2_SFTP_ATTRIBUTES()
                while true {
                    let n = libssh2_sftp_readdir_ex(handle, &name, name.count, &long, long.count, &attrs)
                    if n == 0 { return }
                    guard n > 0 else { throw c.failure(n, "list", dir) }
                    let bytes = name.prefix(Int(n)).map { UInt8(bitPattern: $0) }
                    guard let decoded = String(validating: bytes, as: UTF8.self) else {
                        host.log(.warn, "sftp: skipping a name in '\(dir.isEmpty ? "/" : dir)' that is not valid UTF-8")
                        continue
                    }
                    if decoded == "." || decoded == ".." || PartialFile.isPartial(decoded[...]) { continue }
                    let path = prefix + decoded
                    var found = attrs
                    if SFTPListing.isSymlink(attrs) {
                        // Follow it, as a user copying a media folder expects; a dangling link is skipped.
                        var target = LIBSSH2_SFTP_ATTRIBUTES()
                        let child = remote + "/" + decoded
                        guard
                            libssh2_sftp_stat_ex(c.sftp, child, UInt32(child.utf8.count), LIBSSH2_SFTP_STAT, &target)
                                == 0
                        else {
                            if c.isBroken { throw c.failure(LIBSSH2_ERROR_SOCKET_RECV, "list", dir) }
                            host.log(.warn, "sftp: skipping broken symbolic link '\(path)'")
                            continue
                        }
                        found = target
                    }
                    guard let entry = SFTPListing.entry(path, found) else { continue }  // sockets, devices
                    emitted = true
                    try emit(entry)
                }
            })
    }

    func stat(_ path: String) throws -> ConnectorEntry {
        let remote = try paths.remote(path)
        return try pool.with { c in
            guard let attrs = try SFTPListing.attributes(c, remote, shown: path) else {
                throw ConnectorFailure(.notFound, "sftp: '\(path.isEmpty ? "/" : path)' does not exist")
            }
            guard let entry = SFTPListing.entry(path, attrs) else {
                throw ConnectorFailure(.unsupported, "sftp: '\(path)' is neither a file nor a folder")
            }
            return entry
        }
    }
}

enum SFTPListing {
    /// A listing entry from SFTP attributes: v3 times are whole seconds.
    static func entry(_ path: String, _ attrs: LIBSSH2_SFTP_ATTRIBUTES) -> ConnectorEntry? {
        let hasMode = attrs.flags & UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0
        let isDirectory = hasMode && sc_ssh_is_directory(attrs.permissions) != 0
        if hasMode && !isDirectory && sc_ssh_is_regular(attrs.permissions) == 0 { return nil }
        let size = attrs.flags & UInt(LIBSSH2_SFTP_ATTR_SIZE) != 0 ? Int64(attrs.filesize) : nil
        let mtime =
            attrs.flags & UInt(LIBSSH2_SFTP_ATTR_ACMODTIME) != 0 ? Int64(attrs.mtime) * 1_000_000_000 : nil
        return ConnectorEntry(path: path, isDirectory: isDirectory, size: size, mtimeNanoseconds: mtime)
    }

    static func isSymlink(_ attrs: LIBSSH2_SFTP_ATTRIBUTES) -> Bool {
        attrs.flags & UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0 && sc_ssh_is_symlink(attrs.permissions) != 0
    }

    /// stat (links followed), or nil when nothing is there.
    static func attributes(_ c: SSHConnection, _ remote: String, shown: String) throws -> LIBSSH2_SFTP_ATTRIBUTES? {
        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        let rc = libssh2_sftp_stat_ex(c.sftp, remote, UInt32(remote.utf8.count), LIBSSH2_SFTP_STAT, &attrs)
        if rc == 0 { return attrs }
        if let fx = c.sftpStatus(rc), fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH { return nil }
        throw c.failure(rc, "stat", shown)
    }

    /// Opens a folder for reading, telling a missing folder from a file in the way.
    static func openFolder(_ c: SSHConnection, _ remote: String, shown: String) throws -> OpaquePointer {
        if let handle = libssh2_sftp_open_ex(c.sftp, remote, UInt32(remote.utf8.count), 0, 0, LIBSSH2_SFTP_OPENDIR) {
            return handle
        }
        let rc = libssh2_session_last_errno(c.session)
        guard let fx = c.sftpStatus(rc) else { throw c.failure(rc, "list", shown) }
        // OpenSSH answers FAILURE for a file opened as a folder; a stat tells.
        if fx == LIBSSH2_FX_FAILURE, let attrs = try attributes(c, remote, shown: shown),
            entry(shown, attrs)?.isDirectory == false
        {
            throw ConnectorFailure(.notADirectory, "sftp: list '\(shown)': not a folder")
        }
        throw SFTPErrors.failure(status: fx, "list", shown)
    }
}
