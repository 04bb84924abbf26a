import CLibssh2
import ConnectorKit

extension SSHConnection {
    /// An exec channel running `command` through the server's shell; the caller frees it.
    func start(_ command: String) throws -> OpaquePointer {
        guard let channel = libssh2_channel_open_ex(session, "session", 7, 2 << 20, 32768, nil, 0) else {
            throw failure(libssh2_session_last_errno(session), "run a command on", "")
        }
        let started = libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        guard started == 0 else {
            // The server said no (ForceCommand internal-sftp, no shell): the session itself is fine.
            if SFTPErrors.isTransport(started) { markBroken() }
            let failure = ConnectorFailure(
                .unsupported, "sftp: \(label) runs no commands: \(lastErrorMessage(started))")
            libssh2_channel_free(channel)
            throw failure
        }
        return channel
    }

    /// Writes all of `text` to a channel's standard input.
    func send(_ text: String, to channel: OpaquePointer) throws {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                libssh2_channel_write_ex(
                    channel, 0, raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self),
                    raw.count - offset)
            }
            guard n > 0 else { throw failure(Int32(n), "send to a command on", "") }
            offset += n
        }
    }

    /// What a command run on the server printed and how it ended.
    struct CommandResult {
        var status: Int32
        var output: [UInt8]
        var text: String { String(decoding: output, as: UTF8.self) }
    }

    /// Runs `command` through the server's shell on an exec channel of this session, with no
    /// input. Standard error is read and dropped (a full window would stall the server); output
    /// beyond `limit` bytes is an error rather than memory the server chooses.
    func run(_ command: String, limit: Int = 16 << 20) throws -> CommandResult {
        let channel = try start(command)
        defer { libssh2_channel_free(channel) }
        libssh2_channel_send_eof(channel)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 32768)
        for stream: Int32 in [0, 1] {
            while true {
                let n = chunk.withUnsafeMutableBytes { raw in
                    libssh2_channel_read_ex(
                        channel, stream, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if n == 0 { break }
                guard n > 0 else { throw failure(Int32(n), "read a command's output from", "") }
                if stream == 0 {
                    output.append(contentsOf: chunk[..<n])
                    guard output.count <= limit else {
                        markBroken()  // the rest is still coming; this session is in no state to reuse
                        throw ConnectorFailure(
                            .internal, "sftp: a command on \(label) printed more than \(limit) bytes")
                    }
                }
            }
        }
        libssh2_channel_close(channel)
        libssh2_channel_wait_closed(channel)
        return CommandResult(status: libssh2_channel_get_exit_status(channel), output: output)
    }
}
