import ConnectorKit
import Foundation

/// MD5 and SHA-1 computed by the server (SFTP has no checksum request): `md5sum`/`sha1sum` run
/// over an exec channel, when the server is found to allow it — detected once per session, never
/// assumed. Requests are batched: while one command runs, requests that arrive wait, and the next
/// command hashes all of them (group commit), so verifying many small files costs a few commands,
/// not one per file (rclone's way, and its bottleneck).
final class RemoteHasher: @unchecked Sendable {
    private enum Support {
        case unknown
        case commands([HashKind: String])
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
            try RemoteHasher.digests(batch.map(\.path), program: program, on: connection)
        }
        host.log(.debug, "sftp: one \(program) for \(batch.count) file\(batch.count == 1 ? "" : "s")")
        condition.lock()
        for (index, request) in batch.enumerated() {
            request.result = outcome.map { $0[index] }
        }
        condition.unlock()
    }

    /// One command for all paths: `md5sum -- a b c` prints one line per file it could read, in
    /// order. When a file could not be read the lines no longer line up; then a loop that prints
    /// exactly one line per file settles it.
    static func digests(_ paths: [String], program: String, on connection: SSHConnection) throws -> [String?] {
        let quoted = paths.map(ShellQuote.quote).joined(separator: " ")
        let all = try connection.run("\(program) -- \(quoted) 2>/dev/null")
        let lines = all.text.split(separator: "\n")
        if lines.count == paths.count {
            let parsed = lines.map(firstField)
            if parsed.allSatisfy({ $0 != nil }) { return parsed }
        }
        let loop = try connection.run(
            "for f in \(quoted); do \(program) < \"$f\" 2>/dev/null || echo -; done")
        let each = loop.text.split(separator: "\n", omittingEmptySubsequences: false).prefix(paths.count)
        guard each.count == paths.count else {
            throw ConnectorFailure(
                .transient, "sftp: \(program) on \(connection.label) answered \(each.count) of \(paths.count) files")
        }
        return each.map(firstField)
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
        if case .commands(let known) = support { return known }
        var found: [HashKind: String] = [:]
        if enabled {
            // Each program hashes empty input; the answer must be the known digest of nothing, so
            // a shell that is not POSIX, or a forced sftp-only login, finds none.
            let probe = RemoteHasher.candidates.map { "\($0.1) </dev/null 2>/dev/null" }.joined(separator: "; ")
            let result = try? connection.run(probe)
            // A session that died under the probe proves nothing: ask again next time.
            if connection.isBroken { return [:] }
            let text = result?.text ?? ""
            for (kind, program, empty) in RemoteHasher.candidates where text.contains(empty) {
                found[kind] = program
            }
            host.log(
                .info,
                found.isEmpty
                    ? "sftp: \(connection.label) runs no md5sum or sha1sum: copies are checked by size only"
                    : "sftp: \(connection.label) computes \(found.values.sorted().joined(separator: ", ")) for verification"
            )
        }
        support = .commands(found)
        return found
    }
}
