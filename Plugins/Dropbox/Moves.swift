import ConnectorKit
import Foundation
import Synchronization

extension DropboxConnector {
    /// Folders are made with their missing parents; an existing folder is success.
    func mkdir(_ path: String) throws {
        guard !path.isEmpty else { return }
        do {
            _ = try rpc("files/create_folder_v2", ["path": try DropboxPath.api(path), "autorename": false])
        } catch let failure as ConnectorFailure where failure.code == .exists {
            guard try stat(path).isDirectory else {
                throw ConnectorFailure(.notADirectory, "dropbox: '\(path)' is a file")
            }
        }
    }

    func remove(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "dropbox: the root cannot be removed") }
        let entry = try stat(path)
        if entry.isDirectory { throw ConnectorFailure(.isADirectory, "dropbox: '\(path)' is a folder") }
        _ = try rpc("files/delete_v2", ["path": try DropboxPath.api(path)])
        revisions.forget(try DropboxPath.api(path))
    }

    /// `delete_v2` takes a folder with everything in it, so emptiness is checked first.
    func rmdir(_ path: String) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "dropbox: the root cannot be removed") }
        guard try stat(path).isDirectory else { throw ConnectorFailure(.notADirectory, "dropbox: '\(path)' is a file") }
        let page = try rpc("files/list_folder", ["path": try DropboxPath.api(path), "limit": 1])
        if !(page["entries"] as? [Any] ?? []).isEmpty || page["has_more"] as? Bool == true {
            throw ConnectorFailure(.notEmpty, "dropbox: '\(path)' is not empty")
        }
        _ = try rpc("files/delete_v2", ["path": try DropboxPath.api(path)])
    }

    /// `move_v2`. A rename that changes only case is refused by Dropbox; it goes through a
    /// temporary name. A file just uploaded can be briefly invisible to a move
    /// (`from_lookup/not_found`, rclone issue 8881): that one answer is tried again.
    func move(_ from: String, to: String) throws {
        let source = try DropboxPath.api(from)
        let target = try DropboxPath.api(to)
        if source != target && source.lowercased() == target.lowercased() {
            let temporary = target + ".sync-core-case-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            try relocate("files/move_v2", source, temporary)
            try relocate("files/move_v2", temporary, target)
            return
        }
        try relocate("files/move_v2", source, target)
    }

    func copy(_ from: String, to: String) throws {
        try relocate("files/copy_v2", try DropboxPath.api(from), try DropboxPath.api(to))
    }

    private func relocate(_ route: String, _ from: String, _ to: String) throws {
        var attempt = 0
        while true {
            do {
                _ = try rpc(route, ["from_path": from, "to_path": to, "autorename": false])
                return
            } catch let failure as ConnectorFailure where failure.code == .notFound && attempt < 3 {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
    }
}

extension DropboxConnector: BatchRemoval {
    /// `delete_batch`, each file with the revision this session listed it at (`parent_rev`), which
    /// Dropbox refuses to apply to a folder or to a file written since: no folder is removed here,
    /// nor a file that changed after the listing the host decided from. A path this session has not
    /// listed is looked up first (its rev, or that it is a folder or gone).
    func remove(many paths: [String]) throws -> [Result<Void, ConnectorFailure>] {
        var outcomes = [Result<Void, ConnectorFailure>?](repeating: nil, count: paths.count)
        var entries: [[String: Any]] = []
        var sent: [Int] = []
        for (i, path) in paths.enumerated() {
            do {
                guard !path.isEmpty else {
                    throw ConnectorFailure(.invalidArgument, "dropbox: the root cannot be removed")
                }
                let target = try DropboxPath.api(path)
                var rev = revisions.get(target)
                if rev == nil {
                    let metadata = try rpc("files/get_metadata", ["path": target])
                    if metadata[".tag"] as? String == "folder" {
                        throw ConnectorFailure(.isADirectory, "dropbox: '\(path)' is a folder")
                    }
                    rev = metadata["rev"] as? String
                }
                guard let rev else { throw ConnectorFailure(.transient, "dropbox: '\(path)' has no revision") }
                entries.append(["path": target, "parent_rev": rev])
                sent.append(i)
            } catch let failure as ConnectorFailure where failure.code == .notFound {
                outcomes[i] = .success(())  // already gone
            } catch let failure as ConnectorFailure {
                outcomes[i] = .failure(failure)
            }
        }
        if !entries.isEmpty {
            let answers = try deleteBatch(entries)
            for (k, i) in sent.enumerated() {
                outcomes[i] =
                    k < answers.count
                    ? Self.deleteOutcome(answers[k], path: paths[i])
                    : .failure(ConnectorFailure(.transient, "dropbox: delete_batch answered too few entries"))
                revisions.forget(entries[k]["path"] as? String ?? "")
            }
        }
        return outcomes.map { $0 ?? .failure(ConnectorFailure(.internal, "dropbox: no outcome")) }
    }

    /// One `delete_batch`, its answer waited for when Dropbox makes it a job.
    private func deleteBatch(_ entries: [[String: Any]]) throws -> [[String: Any]] {
        var answer = try rpc("files/delete_batch", ["entries": entries])
        var delay = 0.1
        while answer[".tag"] as? String == "async_job_id" || answer[".tag"] as? String == "in_progress" {
            let job = answer["async_job_id"] as? String ?? ""
            if answer[".tag"] as? String == "in_progress" {
                try host.checkCancelled()
                Thread.sleep(forTimeInterval: delay)
                delay = min(2, delay * 2)
            }
            answer = try rpc("files/delete_batch/check", ["async_job_id": job])
            answer["async_job_id"] = job
        }
        guard answer[".tag"] as? String == "complete", let results = answer["entries"] as? [[String: Any]] else {
            let reason = DropboxErrors.tags(in: answer).joined(separator: "/")
            throw ConnectorFailure(.transient, "dropbox: delete_batch failed: \(reason)")
        }
        return results
    }

    private static func deleteOutcome(_ entry: [String: Any], path: String) -> Result<Void, ConnectorFailure> {
        if entry[".tag"] as? String == "success" { return .success(()) }
        let tags = DropboxErrors.tags(in: entry["failure"])
        if tags.contains("not_found") { return .success(()) }  // already gone
        if tags.contains("not_file") {
            return .failure(ConnectorFailure(.isADirectory, "dropbox: '\(path)' is a folder"))
        }
        if tags.contains("conflict") {
            return .failure(ConnectorFailure(.exists, "dropbox: '\(path)' changed since it was listed; kept"))
        }
        return .failure(
            ConnectorFailure(DropboxErrors.code(for: tags), "dropbox: delete '\(path)': \(tags.joined(separator: "/"))")
        )
    }
}

/// The revision each file had when this session listed or wrote it, for batch deletes that must
/// not touch anything else. Bounded: past `limit` paths it starts afresh (a path it no longer knows
/// costs one look-up).
final class DropboxRevisions: Sendable {
    private let revs = Mutex<[String: String]>([:])
    private let limit = 200_000

    func get(_ path: String) -> String? { revs.withLock { $0[path.lowercased()] } }

    func put(_ path: String, _ rev: String?) {
        guard let rev, !rev.isEmpty else { return }
        revs.withLock {
            if $0.count >= limit { $0.removeAll(keepingCapacity: true) }
            $0[path.lowercased()] = rev
        }
    }

    func forget(_ path: String) { _ = revs.withLock { $0.removeValue(forKey: path.lowercased()) } }
}
