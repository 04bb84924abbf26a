import ConnectorKit
import Foundation

/// Commits small files together (`upload_session/finish_batch_v2`, dropbox.md §3.9): every commit
/// takes the namespace's write lock, so a migration of thousands of files committed one by one
/// queues on it (`too_many_write_operations`). A writer that has sent its bytes waits here; the
/// batch goes as soon as every small writer of the session is waiting, when it is full, or after
/// `wait` at most, and each writer gets its own file's answer.
// Unchecked: every field is read and written under `condition`.
final class DropboxCommitBatcher: @unchecked Sendable {
    /// One file's commit and, once the batch is answered, its outcome.
    final class Item {
        let entry: [String: Any]
        var outcome: Result<[String: Any], Error>?
        init(_ entry: [String: Any]) { self.entry = entry }
    }

    private let condition = NSCondition()
    private let size: Int
    private let wait: TimeInterval
    /// Small writers open now: those not yet waiting are who a batch might still wait for.
    private var active = 0
    private var pending: [Item] = []
    private var sending = false

    init(size: Int, wait: TimeInterval) {
        self.size = size
        self.wait = wait
    }

    /// A small writer opened; it will commit here (or leave).
    func enter() {
        condition.lock()
        active += 1
        condition.unlock()
    }

    /// A small writer is done (committed, aborted or suspended).
    func leave() {
        condition.lock()
        active -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Commits `entry` (a cursor and a commit) with whatever else is waiting; `send` commits a batch
    /// and answers each entry in order. Returns this file's metadata.
    func commit(_ entry: [String: Any], send: ([[String: Any]]) throws -> [Result<[String: Any], Error>]) throws
        -> [String: Any]
    {
        let item = Item(entry)
        condition.lock()
        pending.append(item)
        condition.broadcast()
        let deadline = Date().addingTimeInterval(wait)
        while item.outcome == nil {
            if sending {
                condition.wait()  // the batch in flight may hold this item; its end wakes everyone
                continue
            }
            let due = pending.count >= size || pending.count >= active || Date() >= deadline
            guard due else {
                _ = condition.wait(until: deadline)  // another writer arriving or leaving wakes it
                continue
            }
            if !pending.isEmpty {
                sending = true
                let batch = Array(pending.prefix(size))
                pending.removeFirst(batch.count)
                condition.unlock()
                let outcomes: [Result<[String: Any], Error>]
                do {
                    outcomes = try send(batch.map(\.entry))
                } catch {
                    outcomes = batch.map { _ in .failure(error) }
                }
                condition.lock()
                for (i, waiting) in batch.enumerated() {
                    waiting.outcome =
                        i < outcomes.count
                        ? outcomes[i]
                        : .failure(ConnectorFailure(.transient, "dropbox: the batch commit answered too few entries"))
                }
                sending = false
                condition.broadcast()
            }
        }
        condition.unlock()
        return try item.outcome!.get()
    }
}

extension DropboxConnector {
    /// One `finish_batch_v2` call, tried again while the namespace is busy or the server has a
    /// bad moment (the sessions stay open for days); each entry's answer in order.
    func finishBatch(_ entries: [[String: Any]]) throws -> [Result<[String: Any], Error>] {
        var attempt = 0
        while true {
            do {
                let answer = try rpc("files/upload_session/finish_batch_v2", ["entries": entries])
                return (answer["entries"] as? [[String: Any]] ?? []).map(Self.batchOutcome)
            } catch let failure as ConnectorFailure
                where [.rateLimited, .transient].contains(failure.code) && attempt < 5
            {
                attempt += 1
                try host.checkCancelled()
                let pause =
                    failure.retryAfterMilliseconds > 0
                    ? Double(failure.retryAfterMilliseconds) / 1000 : 0.25 * Double(1 << attempt)
                host.log(
                    .info, "dropbox: batch commit of \(entries.count) files: \(failure.message); again in \(pause) s")
                Thread.sleep(forTimeInterval: pause)
            }
        }
    }

    /// A batch entry's answer: the file's metadata, or its failure. A session the batch cannot find
    /// (a retried batch whose first try had committed) is TRANSIENT: the host then looks at the
    /// destination before it sends the file again.
    static func batchOutcome(_ entry: [String: Any]) -> Result<[String: Any], Error> {
        if entry[".tag"] as? String == "success" { return .success(entry) }
        let failure = entry["failure"] as? [String: Any] ?? [:]
        let tags = DropboxErrors.tags(in: failure)
        var code = DropboxErrors.code(for: tags)
        if tags.first == "lookup_failed" { code = .transient }
        if code == .exists && tags.contains("folder") { code = .isADirectory }
        return .failure(ConnectorFailure(code, "dropbox: commit: \(tags.joined(separator: "/"))"))
    }
}
