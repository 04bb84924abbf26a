import CLibssh2
import ConnectorKit

/// A long-lived process on the server, one per session and program: a POSIX shell loop that reads
/// a count and that many arguments (paths), runs the program once on all of them and prints an end
/// marker with its exit status. Starting a command costs the server a login shell (its rc files:
/// 150 ms here, the price rclone pays per file); through this channel a request costs one fork of
/// md5sum, sha1sum or mv.
final class CommandChannel {
    private let channel: OpaquePointer
    private let connection: SSHConnection
    private var buffer: [UInt8] = []
    private static let end = "#sync-core-end "

    init(program: String, on connection: SSHConnection) throws {
        self.connection = connection
        // `exec /bin/sh` whatever the login shell (the script goes quoted as one argument). `--`
        // keeps names starting with '-' names; </dev/null keeps the program off the protocol.
        let script =
            "while IFS= read -r n; do set --; while [ \"$n\" -gt 0 ]; do IFS= read -r f; set -- \"$@\" \"$f\"; n=$((n-1)); done; "
            + "s=0; if [ $# -gt 0 ]; then \(program) -- \"$@\" </dev/null 2>/dev/null; s=$?; fi; "
            + "echo '\(CommandChannel.end)'$s; done"
        channel = try connection.start("exec /bin/sh -c " + ShellQuote.quote(script))
        do {
            // An empty request answers with the marker alone; whatever a chatty rc file printed
            // before it is dropped.
            _ = try request([])
        } catch {
            close()
            throw error
        }
    }

    /// The program's output lines and exit status for `paths` (none may hold a newline).
    func request(_ paths: [String]) throws -> (lines: [Substring], status: Int32) {
        try connection.send("\(paths.count)\n" + paths.map { $0 + "\n" }.joined(), to: channel)
        let (text, status) = try readUntilEnd()
        return (text.split(separator: "\n"), status)
    }

    /// Output up to the end marker's line, which is consumed, and the status the marker carries.
    private func readUntilEnd() throws -> (String, Int32) {
        let marker = Array(CommandChannel.end.utf8)
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            if let range = CommandChannel.find(marker, in: buffer),
                let newline = buffer[range.upperBound...].firstIndex(of: UInt8(ascii: "\n"))
            {
                let text = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                let status = Int32(String(decoding: buffer[range.upperBound..<newline], as: UTF8.self)) ?? -1
                buffer.removeSubrange(...newline)
                return (text, status)
            }
            let n = chunk.withUnsafeMutableBytes { raw in
                libssh2_channel_read_ex(channel, 0, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
            }
            guard n > 0 else {
                throw n == 0
                    ? ConnectorFailure(.transient, "sftp: a command process on \(connection.label) ended")
                    : connection.failure(Int32(n), "read a command's answer from", "")
            }
            buffer.append(contentsOf: chunk[..<n])
            guard buffer.count < 64 << 20 else {
                throw ConnectorFailure(.internal, "sftp: a command process on \(connection.label) said too much")
            }
        }
    }

    /// Where `marker` starts a line in `bytes`.
    private static func find(_ marker: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
        guard bytes.count >= marker.count else { return nil }
        var start = 0
        while start + marker.count <= bytes.count {
            if (start == 0 || bytes[start - 1] == UInt8(ascii: "\n"))
                && bytes[start..<start + marker.count].elementsEqual(marker)
            {
                return start..<start + marker.count
            }
            guard let next = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            start = next + 1
        }
        return nil
    }

    func close() {
        if !connection.isBroken {
            libssh2_channel_send_eof(channel)
            libssh2_channel_close(channel)
        }
        libssh2_channel_free(channel)
    }
}
