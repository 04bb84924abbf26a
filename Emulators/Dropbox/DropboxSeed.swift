import EmulatorKit
import Foundation

/// What a test reads and puts straight into an emulated Dropbox, without the API.
public struct DropboxTreeEntry: Sendable {
    /// The path as displayed (`/Films/A.mkv`).
    public var path: String
    public var isFolder: Bool
    public var size: Int64
    public var contentHash: String
    public var clientModified: Date
}

extension DropboxEmulator {
    private func space(_ account: String, team: Bool) -> DropboxSpace? {
        guard let a = accounts[account] else { return nil }
        return team ? a.team : a.home
    }

    /// Puts a file at `path` (`/a/b.txt`; folders made as needed), modified at `modified`.
    public func seed(_ account: String, path: String, bytes: [UInt8], modified: Date = Date(), team: Bool = false) {
        withLock {
            guard let space = space(account, team: team) else { return }
            let blob = blobs.create(bytes)
            let commit: [String: Any] = [
                "path": path, "mode": "overwrite", "client_modified": DropboxJSON.time(modified),
            ]
            if case .failure = self.commit(blob, commit, accounts[account]!, space) { blobs.remove(blob) }
        }
    }

    /// Makes a folder (and its parents).
    public func makeFolder(_ account: String, path: String, team: Bool = false) {
        withLock {
            guard let space = space(account, team: team) else { return }
            _ = makeFolders(path, space)
        }
    }

    /// The bytes of the file at `path` (any case), nil when there is none.
    public func contents(_ account: String, path: String, team: Bool = false) -> [UInt8]? {
        withLock {
            guard let space = space(account, team: team), let node = space.lookup(path)?.node, let blob = node.blob
            else { return nil }
            return FileManager.default.contents(atPath: blob).map(Array.init)
        }
    }

    /// Every file and folder, parents first.
    public func tree(of account: String, team: Bool = false) -> [DropboxTreeEntry] {
        withLock {
            guard let space = space(account, team: team) else { return [] }
            return space.tree.subtree("").map {
                DropboxTreeEntry(
                    path: space.displayPath($0.id), isFolder: $0.isFolder, size: $0.size, contentHash: $0.contentHash,
                    clientModified: $0.clientModified)
            }
        }
    }
}
