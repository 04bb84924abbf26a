import ConnectorKit
import Foundation

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
