import ConnectorKit
import Foundation

/// MD5 and SHA-1 computed by the server (SFTP has no checksum request): `md5sum`/`sha1sum`, when
/// the server is found to run them — detected once per account, never assumed. Files are hashed
/// through a hashing process kept open on each session (CommandChannel), so a file costs no command
/// start, and requests are batched: while one batch runs, requests that arrive wait and the next
/// batch takes them all (group commit). rclone starts one command per file, and waits on it.
// Unchecked: the queue and its state are under `condition` (Mutex cannot wait on a condition).
final class RemoteHasher: @unchecked Sendable {
    private enum Support {
        case unknown
        case commands([HashKind: String], streams: Bool)
    }

    private final class Request {
        let path: String
        let kind: HashKind
        var result: Result<String?, Error>?
        init(path: String, kind: HashKind) {
            self.path = path
            self.kind = kind
        }
    }

    private let condition = NSCondition()
    private var support = Support.unknown
    private var queue: [Request] = []
    private var running = false
    private let enabled: Bool
    private let host: ConnectorHost
    /// Commands stay far below ARG_MAX (2 MiB on Linux) and answer within the session timeout.
    private static let maxBatch = 500
    private static let maxCommandBytes = 100_000
    private static let candidates: [(HashKind, String, String)] = [
        (.md5, "md5sum", "d41d8cd98f00b204e9800998ecf8427e"),
        (.sha1, "sha1sum", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ]

    init(enabled: Bool, host: ConnectorHost) {
        self.enabled = enabled
        self.host = host
    }

    /// The program that hashes `kind` on this server while a file is written (StreamingHash), when
    /// its `dd` reads exact byte counts.
    func streamingProgram(_ kind: HashKind, using connection: SSHConnection) -> String? {
        guard let program = commands(using: connection)[kind] else { return nil }
        condition.lock()
        defer { condition.unlock() }
        if case .commands(_, let streams) = support, streams { return program }
        return nil
    }

    /// Whether the server runs POSIX commands (found while probing for the hash programs).
    func runsCommands(using connection: SSHConnection) -> Bool {
        !commands(using: connection).isEmpty
    }

    /// The kinds the server computes, probing it on `connection` the first time.
    func kinds(using connection: SSHConnection) -> Set<HashKind> {
        Set(commands(using: connection).keys)
    }

    /// Hashes of server paths, one per path in order (nil where the server could not read the
    /// file), computed on `connection` or in a batch another caller runs meanwhile. Nil when the
    /// server computes no hash of this kind.
    func hash(_ paths: [String], _ kind: HashKind, using connection: SSHConnection) throws -> [String?]? {
        guard commands(using: connection)[kind] != nil else { return nil }
        let mine = paths.map { Request(path: $0, kind: kind) }
        condition.lock()
        queue.append(contentsOf: mine)
        while mine.contains(where: { $0.result == nil }) {
            if running {
                condition.wait()
                continue
            }
            running = true
            let batch = takeBatch()
            condition.unlock()
            run(batch, on: connection)
            condition.lock()
            running = false
            condition.broadcast()
        }
        condition.unlock()
        return try mine.map { try $0.result!.get() }
    }

    /// The next batch: queued requests in order, one kind, within the command limits. Called locked.
    private func takeBatch() -> [Request] {
        guard let kind = queue.first?.kind else { return [] }
        var batch: [Request] = []
        var bytes = 0
        var rest: [Request] = []
        for request in queue {
            if request.kind == kind, batch.count < RemoteHasher.maxBatch,
                bytes + request.path.utf8.count < RemoteHasher.maxCommandBytes || batch.isEmpty
            {
                batch.append(request)
                bytes += request.path.utf8.count + 3
            } else {
                rest.append(request)
            }
        }
        queue = rest
        return batch
    }

    private func run(_ batch: [Request], on connection: SSHConnection) {
        guard let first = batch.first, let program = commands(using: connection)[first.kind] else { return }
        let outcome: Result<[String?], Error> = Result {
            try RemoteHasher.digests(batch.map(\.path), program: program, on: connection, host: host)
        }
        host.log(.debug, "sftp: one \(program) for \(batch.count) file\(batch.count == 1 ? "" : "s")")
        condition.lock()
        for (index, request) in batch.enumerated() {
            request.result = outcome.map { $0[index] }
        }
        condition.unlock()
    }

    /// Digests through the session's hashing process: one request for all paths, whose output
    /// lines match them when the program could read every file; otherwise one request per file
    /// settles which it could not. Names holding a newline go through a command of their own.
    static func digests(_ paths: [String], program: String, on connection: SSHConnection, host: ConnectorHost) throws
        -> [String?]
    {
        if paths.contains(where: { $0.contains("\n") }) {
            return try paths.map { try single($0, program: program, on: connection) }
        }
        do {
            let channel = try connection.commandChannel(program, host: host)
            let lines = try channel.request(paths).lines
            if lines.count == paths.count {
                let parsed = lines.map(firstField)
                if parsed.allSatisfy({ $0 != nil }) { return parsed }
            }
            return try paths.map { path in try channel.request([path]).lines.first.flatMap(firstField) }
        } catch {
            connection.dropCommandChannel(program)
            throw error
        }
    }

    /// One file by a command of its own.
    private static func single(_ path: String, program: String, on connection: SSHConnection) throws -> String? {
        let result = try connection.run("\(program) -- \(ShellQuote.quote(path)) </dev/null 2>/dev/null")
        return result.text.split(separator: "\n").first.flatMap(firstField)
    }

    /// The digest at the start of a `md5sum` line; a name with a backslash or newline makes it
    /// start with `\`.
    private static func firstField(_ line: Substring) -> String? {
        let trimmed = line.hasPrefix("\\") ? line.dropFirst() : line
        guard let field = trimmed.split(separator: " ", maxSplits: 1).first,
            field.count >= 32, field.allSatisfy(\.isHexDigit)
        else { return nil }
        return field.lowercased()
    }

    private func commands(using connection: SSHConnection) -> [HashKind: String] {
        condition.lock()
        defer { condition.unlock() }
        if case .commands(let known, _) = support { return known }
        var found: [HashKind: String] = [:]
        var streams = false
        if enabled {
            // Each program hashes empty input; the answer must be the known digest of nothing, so
            // a shell that is not POSIX, or a forced sftp-only login, finds none.
            // The last one checks that `dd` stops at an exact byte count (GNU's iflag=count_bytes).
            let probe =
                RemoteHasher.candidates.map { "\($0.1) </dev/null 2>/dev/null" }.joined(separator: "; ")
                + "; printf abcdef | dd bs=1048576 count=2 iflag=count_bytes status=none 2>/dev/null; echo"
            let result = try? connection.run(probe)
            // A session that died under the probe proves nothing: ask again next time.
            if connection.isBroken { return [:] }
            let text = result?.text ?? ""
            for (kind, program, empty) in RemoteHasher.candidates where text.contains(empty) {
                found[kind] = program
            }
            streams = text.split(separator: "\n").contains("ab")
            host.log(
                .info,
                found.isEmpty
                    ? "sftp: \(connection.label) runs no md5sum or sha1sum: copies are checked by size only"
                    : "sftp: \(connection.label) computes \(found.values.sorted().joined(separator: ", ")) for verification"
            )
        }
        support = .commands(found, streams: streams)
        return found
    }
}
