import CLibssh2
import ConnectorKit

/// The server hashing a large upload while it is being written, so the check costs no wait at the
/// end (hashing 1 GiB takes the server about 2 s here). A process on the server holds the partial
/// file open and, each time the writer reports a longer gap-free prefix, reads exactly the new
/// bytes (`dd iflag=count_bytes`) into one running md5sum or sha1sum; at the end it prints the
/// digest of the whole file as stored. Any failure stops the process without a digest, and the
/// writer falls back to hashing after the upload.
final class StreamingHash {
    private let channel: OpaquePointer
    private let connection: SSHConnection
    let kind: HashKind
    private var fed: Int64 = 0
    private var closed = false

    init(kind: HashKind, program: String, file remote: String, on connection: SSHConnection) throws {
        self.kind = kind
        self.connection = connection
        // `kill 0` ends the whole pipeline when a read fails, so no digest of a part is printed.
        let script =
            "exec 3<\"$1\" || exit 1; while IFS= read -r n; do dd bs=1048576 count=\"$n\" iflag=count_bytes status=none <&3 || kill 0; done | \(program)"
        channel = try connection.start("exec /bin/sh -c \(ShellQuote.quote(script)) sh \(ShellQuote.quote(remote))")
    }

    /// Has the server read the file up to `confirmed` bytes (acknowledged, without a gap).
    func advance(to confirmed: Int64) throws {
        guard confirmed > fed else { return }
        try connection.send("\(confirmed - fed)\n", to: channel)
        fed = confirmed
    }

    /// The digest of the file's first `total` bytes, or nil when the server could not tell.
    func finish(total: Int64) throws -> String? {
        try advance(to: total)
        libssh2_channel_send_eof(channel)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while output.count < 4096 {
            let n = chunk.withUnsafeMutableBytes { raw in
                libssh2_channel_read_ex(channel, 0, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
            }
            if n == 0 { break }
            guard n > 0 else { throw connection.failure(Int32(n), "read the running hash from", "") }
            output.append(contentsOf: chunk[..<n])
        }
        close()
        let digest = String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init)
        guard let digest, digest.count >= 32, digest.allSatisfy(\.isHexDigit) else { return nil }
        return digest.lowercased()
    }

    /// Ends the process (its input closes) and frees the channel.
    func close() {
        guard !closed else { return }
        closed = true
        if !connection.isBroken {
            libssh2_channel_send_eof(channel)
            libssh2_channel_close(channel)
        }
        libssh2_channel_free(channel)
    }
}
