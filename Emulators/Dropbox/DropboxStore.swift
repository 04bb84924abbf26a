import EmulatorKit
import Foundation

/// One file or folder of an emulated Dropbox. Ids look like Dropbox's (`id:…`) and stay with the
/// item through renames and moves; a file's `rev` changes with every write of its content.
// Unchecked (this and the other model classes): read and written under the emulator's lock only.
final class DropboxNode: TreeNode, @unchecked Sendable {
    let id: String
    var parentId: String
    var name: String
    let isFolder: Bool
    var size: Int64 = 0
    var contentHash = ""
    var rev = ""
    var clientModified = Date()
    var serverModified = Date()
    var blob: String?

    init(id: String, parentId: String, name: String, isFolder: Bool) {
        self.id = id
        self.parentId = parentId
        self.name = name
        self.isFolder = isFolder
    }
}

/// An upload session: the bytes received so far (in a blob), whether it is closed, when it dies.
final class DropboxUploadSession: @unchecked Sendable {
    let id: String
    let account: String
    var blob: String
    var offset: Int64 = 0
    var closed = false
    let expires: Date

    init(id: String, account: String, blob: String, expires: Date) {
        self.id = id
        self.account = account
        self.blob = blob
        self.expires = expires
    }
}

/// A listing in progress or done: what is left to hand out, and the change sequence it has seen
/// (a finished cursor later returns only what changed after it).
struct DropboxCursor {
    var space: DropboxSpace
    var folderID: String
    var recursive: Bool
    var remaining: [(path: String, node: DropboxNode?)]
    var sequence: Int
    var limit: Int
}

/// One change to an account's tree, for change cursors: the path (lower-cased) and the item now
/// there, or nil when it was deleted.
struct DropboxChange {
    var sequence: Int
    var lowerPath: String
    var node: DropboxNode?
}

/// An emulated Dropbox user: its home space and, for a member of a team, the team's space (which
/// a client reaches with `Dropbox-API-Path-Root`).
final class DropboxAccount: @unchecked Sendable {
    let name: String
    let accountID: String
    let home: DropboxSpace
    var team: DropboxSpace?
    var quota: Int64 = 2 << 40

    init(name: String, accountID: String, home: DropboxSpace) {
        self.name = name
        self.accountID = accountID
        self.home = home
    }

    /// The space a namespace id names, for this user.
    func space(_ namespaceID: String) -> DropboxSpace? {
        if namespaceID == home.namespaceID { return home }
        if let team, namespaceID == team.namespaceID { return team }
        return nil
    }

    var used: Int64 { home.used + (team?.used ?? 0) }
}

/// One namespace's tree (case-insensitive, case-preserving) and its change log.
final class DropboxSpace: @unchecked Sendable {
    let namespaceID: String
    let tree = NodeTree<DropboxNode>()
    var changes: [DropboxChange] = []
    var sequence = 0
    /// Until when the last write holds the namespace's lock.
    var lockedUntil = Date.distantPast

    init(namespaceID: String) { self.namespaceID = namespaceID }

    static func fold(_ name: String) -> String { name.lowercased() }

    /// The child of `parent` whose name matches `name` case-blind (Dropbox keeps one per folder).
    func child(of parent: String, named name: String) -> DropboxNode? {
        let key = Self.fold(name)
        return tree.child(of: parent) { Self.fold($0.name).utf8.elementsEqual(key.utf8) }
    }

    /// The node at a path (`""` or `/a/b`, any case); nil when missing. The root is `""`.
    func lookup(_ path: String) -> (id: String, node: DropboxNode?)? {
        if path.hasPrefix("id:") {
            guard let node = tree[path] else { return nil }
            return (node.id, node)
        }
        var current = ""
        var node: DropboxNode?
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard node == nil || node!.isFolder, let next = child(of: current, named: String(part)) else { return nil }
            node = next
            current = next.id
        }
        return (current, node)
    }

    /// `/A/b` as the names are stored (display case), from the root to `id`.
    func displayPath(_ id: String) -> String {
        "/" + (tree.names(to: id) ?? []).joined(separator: "/")
    }

    func lowerPath(_ id: String) -> String { Self.fold(displayPath(id)) }

    /// Records that the item at `id` changed (or, with `deleted`, the path it had is gone).
    func changed(_ id: String, deleted lowerPath: String? = nil) {
        sequence += 1
        if let lowerPath {
            changes.append(DropboxChange(sequence: sequence, lowerPath: lowerPath, node: nil))
        } else if let node = tree[id] {
            changes.append(DropboxChange(sequence: sequence, lowerPath: self.lowerPath(id), node: node))
        }
    }

    /// Bytes of every file.
    var used: Int64 { tree.nodes.values.reduce(0) { $0 + ($1.isFolder ? 0 : $1.size) } }
}
