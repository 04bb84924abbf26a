import EmulatorKit
import Foundation

/// What a test reads and puts straight into an emulated OneDrive, without the API.
public struct OneDriveTreeEntry: Sendable {
    /// `/Films/A.mkv`, as the names are stored.
    public var path: String
    public var isFolder: Bool
    public var size: Int64
    /// base64, as Graph lists it.
    public var quickXorHash: String
    public var modified: Date
}

extension OneDriveEmulator {
    /// Puts a file at `path` (`a/b.txt`; folders made as needed), modified at `modified`.
    public func seed(_ account: String, path: String, bytes: [UInt8], modified: Date = Date()) {
        withLock {
            guard let a = accounts[account] else { return }
            var parent = a.rootID
            let parts = path.split(separator: "/").map(String.init)
            for folder in parts.dropLast() {
                if let existing = a.child(of: a.treeID(parent), named: folder) {
                    parent = existing.id
                } else {
                    let made = OneDriveNode(id: newItemID(), parentId: a.treeID(parent), name: folder, isFolder: true)
                    a.tree.add(made)
                    parent = made.id
                }
            }
            let blob = blobs.create(bytes)
            let times = ["lastModifiedDateTime": OneDriveJSON.time(modified)]
            if case .failure = commit(blob, in: parent, name: parts.last ?? "", behaviour: "replace", times: times, a) {
                blobs.remove(blob)
            }
        }
    }

    /// The bytes of the file at `path` (any case), nil when there is none.
    public func contents(_ account: String, path: String) -> [UInt8]? {
        withLock {
            guard let a = accounts[account], let id = a.lookup(path, from: a.rootID), let blob = a.tree[id]?.blob
            else { return nil }
            return FileManager.default.contents(atPath: blob).map(Array.init)
        }
    }

    /// Every file and folder, parents first.
    public func tree(of account: String) -> [OneDriveTreeEntry] {
        withLock {
            guard let a = accounts[account] else { return [] }
            return a.tree.subtree("").map {
                OneDriveTreeEntry(
                    path: a.path(of: $0.id), isFolder: $0.isFolder, size: $0.size, quickXorHash: $0.quickXor,
                    modified: $0.modified)
            }
        }
    }

    /// The id of the account's drive (for addressing `/drives/{id}`).
    public func driveID(of account: String) -> String? { withLock { accounts[account]?.driveID } }
}
