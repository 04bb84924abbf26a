import CLibssh2
import ConnectorKit
import Foundation

/// Logs in with what the account offers, each way tried once (a wrong password is one attempt,
/// never a storm that locks the account): a key file, then the ssh-agent, then a password (plain
/// or keyboard-interactive). With no key file and no password, the user's default keys are tried
/// after the agent, as `ssh` does.
enum SSHAuth {
    static func authenticate(_ session: OpaquePointer, _ settings: SFTPSettings) throws {
        let user = settings.user
        let userLength = UInt32(user.utf8.count)
        guard let list = libssh2_userauth_list(session, user, userLength) else {
            if libssh2_userauth_authenticated(session) == 1 { return }  // "none" was enough
            throw ConnectorFailure(
                .transient,
                "sftp: \(settings.label) did not say how to log in: \(SSHConnection.message(session, libssh2_session_last_errno(session)))"
            )
        }
        let methods = Set(String(cString: list).split(separator: ",").map(String.init))
        var tried: [String] = []

        if methods.contains("publickey") {
            if let keyFile = settings.keyFile {
                if try keyFileWorks(session, settings, keyFile) { return }
                tried.append("key \(keyFile)")
            }
            if settings.useAgent, ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil {
                if agentWorks(session, user) { return }
                tried.append("ssh-agent")
            }
            if settings.keyFile == nil && settings.password == nil {
                let home = FileManager.default.homeDirectoryForCurrentUser.path
                for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                    let path = "\(home)/.ssh/\(name)"
                    guard FileManager.default.fileExists(atPath: path) else { continue }
                    if (try? keyFileWorks(session, settings, path)) == true { return }
                    tried.append("key \(path)")
                }
            }
        } else if settings.keyFile != nil {
            tried.append("key (the server accepts no keys)")
        }
        if let password = settings.password {
            if methods.contains("password") {
                if libssh2_userauth_password_ex(
                    session, user, userLength, password, UInt32(password.utf8.count), nil) == 0
                {
                    return
                }
                tried.append("password")
            } else if methods.contains("keyboard-interactive") {
                if sc_ssh_userauth_kbdint(session, user, password) == 0 { return }
                tried.append("password (keyboard-interactive)")
            } else {
                tried.append("password (the server accepts none)")
            }
        }
        let offered = methods.sorted().joined(separator: ", ")
        let attempts =
            tried.isEmpty ? "nothing to try: set key_file or password" : "tried \(tried.joined(separator: ", "))"
        throw ConnectorFailure(
            .auth, "sftp: \(settings.label) refused the login (\(attempts); the server offers \(offered))")
    }

    /// Whether the key logs in. A key that cannot be read (missing, wrong passphrase) is an error of
    /// its own: retrying other ways would hide it.
    private static func keyFileWorks(_ session: OpaquePointer, _ settings: SFTPSettings, _ path: String) throws -> Bool
    {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConnectorFailure(.invalidArgument, "sftp: key_file '\(path)' does not exist or cannot be read")
        }
        let user = settings.user
        let rc = libssh2_userauth_publickey_fromfile_ex(
            session, user, UInt32(user.utf8.count), nil, path, settings.keyPassphrase)
        if rc == 0 { return true }
        if rc == LIBSSH2_ERROR_FILE {
            let hint = settings.keyPassphrase == nil ? "it may need key_passphrase" : "wrong key_passphrase?"
            throw ConnectorFailure(.auth, "sftp: cannot use key '\(path)' (\(hint))")
        }
        return false
    }

    private static func agentWorks(_ session: OpaquePointer, _ user: String) -> Bool {
        guard let agent = libssh2_agent_init(session) else { return false }
        defer {
            libssh2_agent_disconnect(agent)
            libssh2_agent_free(agent)
        }
        guard libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 else { return false }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        while true {
            var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
            guard libssh2_agent_get_identity(agent, &identity, previous) == 0, let identity else { return false }
            if libssh2_agent_userauth(agent, user, identity) == 0 { return true }
            previous = identity
        }
    }
}
