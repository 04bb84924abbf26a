import CLibssh2
import ConnectorKit
import Foundation

/// Checks the server's host key before any credential is sent: against a pinned fingerprint, or
/// against a known_hosts file (OpenSSH's format, hashed entries and `[host]:port` included).
enum HostKeys {
    static func verify(_ session: OpaquePointer, _ settings: SFTPSettings, host: ConnectorHost) throws {
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(session, &length, &type) else {
            throw ConnectorFailure(.auth, "sftp: \(settings.label) showed no host key")
        }
        let shown = "\(typeName(type)) \(fingerprint(session))"
        if let pin = settings.hostKeyFingerprint {
            guard normalized(pin) == normalized(fingerprint(session)) else {
                throw ConnectorFailure(
                    .auth,
                    "sftp: host key of \(settings.knownHostsName) is \(shown), not the pinned \(pin); refusing to connect (someone may be intercepting the connection, or the server was re-keyed)"
                )
            }
            return
        }
        guard let known = libssh2_knownhost_init(session) else {
            throw ConnectorFailure(.internal, "sftp: libssh2 could not read known hosts")
        }
        defer { libssh2_knownhost_free(known) }
        let file = settings.knownHosts
        let exists = FileManager.default.fileExists(atPath: file)
        if exists, libssh2_knownhost_readfile(known, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 {
            throw ConnectorFailure(.invalidArgument, "sftp: cannot read known_hosts file '\(file)'")
        }
        let mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | keyBits(type)
        var entry: UnsafeMutablePointer<libssh2_knownhost>?
        let verdict = libssh2_knownhost_checkp(known, settings.host, Int32(settings.port), key, length, mask, &entry)
        switch verdict {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH:
            return
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            throw ConnectorFailure(
                .auth,
                "sftp: host key of \(settings.knownHostsName) CHANGED: it is now \(shown), unlike the one in \(file); someone may be intercepting the connection. If the server was re-keyed, remove the old entry: ssh-keygen -R '\(settings.knownHostsName)' -f \(file)"
            )
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND where settings.acceptNewHostKey:
            try remember(known, key, length, mask, settings)
            host.log(.warn, "sftp: trusted the new host key of \(settings.knownHostsName) (\(shown)), saved to \(file)")
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
            throw ConnectorFailure(
                .auth,
                "sftp: host key of \(settings.knownHostsName) is unknown (\(shown))\(exists ? "" : "; \(file) does not exist"). Check the fingerprint with the server's owner (ssh-keygen -lf on its host key), then add it: ssh-keyscan -p \(settings.port) \(settings.host) >> \(file), or set host_key_fingerprint=\(fingerprint(session)) or accept_new_host_key=true in the account"
            )
        default:
            throw ConnectorFailure(.internal, "sftp: could not check the host key of \(settings.knownHostsName)")
        }
    }

    /// OpenSSH's display form: `SHA256:` and unpadded base64 of the key's SHA-256.
    static func fingerprint(_ session: OpaquePointer) -> String {
        guard let raw = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) else { return "SHA256:?" }
        let bytes = Data(bytes: raw, count: 32)
        return "SHA256:" + bytes.base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    private static func normalized(_ fingerprint: String) -> String {
        fingerprint.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "=", with: "")
    }

    private static func typeName(_ type: Int32) -> String {
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: "RSA"
        case LIBSSH2_HOSTKEY_TYPE_DSS: "DSA"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: "ECDSA-256"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: "ECDSA-384"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: "ECDSA-521"
        case LIBSSH2_HOSTKEY_TYPE_ED25519: "ED25519"
        default: "key type \(type)"
        }
    }

    private static func keyBits(_ type: Int32) -> Int32 {
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: LIBSSH2_KNOWNHOST_KEY_SSHRSA
        case LIBSSH2_HOSTKEY_TYPE_DSS: LIBSSH2_KNOWNHOST_KEY_SSHDSS
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: LIBSSH2_KNOWNHOST_KEY_ECDSA_256
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: LIBSSH2_KNOWNHOST_KEY_ECDSA_384
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: LIBSSH2_KNOWNHOST_KEY_ECDSA_521
        case LIBSSH2_HOSTKEY_TYPE_ED25519: LIBSSH2_KNOWNHOST_KEY_ED25519
        default: LIBSSH2_KNOWNHOST_KEY_UNKNOWN
        }
    }

    /// Trust on first use: adds the key under the name `ssh` would use and rewrites the file.
    private static func remember(
        _ known: OpaquePointer, _ key: UnsafePointer<CChar>, _ length: Int, _ mask: Int32, _ settings: SFTPSettings
    ) throws {
        let name = settings.knownHostsName
        let comment = "added by sync-core"
        var rc = libssh2_knownhost_addc(
            known, name, nil, key, length, comment, comment.utf8.count, mask, nil)
        if rc == 0 {
            let folder = (settings.knownHosts as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            rc = libssh2_knownhost_writefile(known, settings.knownHosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
        }
        guard rc == 0 else {
            throw ConnectorFailure(.permission, "sftp: cannot save the new host key to \(settings.knownHosts)")
        }
    }
}
