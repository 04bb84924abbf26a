import EmulatorKit
import Foundation

/// One driveItem of an emulated OneDrive. Ids stay with the item through renames and moves; the
/// eTag changes with any change, the cTag with the content.
// Unchecked (this and the other model classes): read and written under the emulator's lock only.
final class OneDriveNode: TreeNode, @unchecked Sendable {
    let id: String
    var parentId: String
    var name: String
    let isFolder: Bool
    var size: Int64 = 0
    /// base64, as Graph lists it.
    var quickXor = ""
    var version = 1
    var contentVersion = 1
    var created = Date()
    /// fileSystemInfo.lastModifiedDateTime: what the client set, or when the content last changed.
    var modified = Date()
    var blob: String?

    init(id: String, parentId: String, name: String, isFolder: Bool) {
        self.id = id
        self.parentId = parentId
        self.name = name
        self.isFolder = isFolder
    }
}

/// An upload session: its own unauthenticated URL, the bytes so far, the total every fragment must
/// announce, what to do on a name clash and the times to set.
final class OneDriveUploadSession: @unchecked Sendable {
    let id: String
    let account: String
    let parentID: String
    let name: String
    let conflict: String
    let fileSystemInfo: [String: Any]?
    let blob: String
    var received: Int64 = 0
    var total: Int64?
    var expires: Date

    init(
        id: String, account: String, parentID: String, name: String, conflict: String,
        fileSystemInfo: [String: Any]?, blob: String, expires: Date
    ) {
        self.id = id
        self.account = account
        self.parentID = parentID
        self.name = name
        self.conflict = conflict
        self.fileSystemInfo = fileSystemInfo
        self.blob = blob
        self.expires = expires
    }
}

/// An asynchronous copy: done when `due` passes.
struct OneDriveCopyJob {
    var account: String
    var due: Date
    var resourceID: String?
    var failed: Bool
}

/// An emulated user with one drive (case-insensitive, case-preserving).
final class OneDriveAccount: @unchecked Sendable {
    let name: String
    let driveID: String
    let rootID: String
    let tree = NodeTree<OneDriveNode>()
    var quota: Int64 = 1 << 40
    var deleted: Int64 = 0

    init(name: String, driveID: String, rootID: String) {
        self.name = name
        self.driveID = driveID
        self.rootID = rootID
    }

    static func fold(_ name: String) -> String { name.lowercased() }

    func child(of parent: String, named name: String) -> OneDriveNode? {
        let key = Self.fold(name)
        return tree.child(of: parent) { Self.fold($0.name).utf8.elementsEqual(key.utf8) }
    }

    /// The item a path names under `base` (an item id; the root is `rootID`), nil when missing.
    func lookup(_ path: String, from base: String) -> String? {
        var current = base
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard current == rootID || tree[current]?.isFolder == true else { return nil }
            guard let next = child(of: current == rootID ? "" : current, named: String(part)) else { return nil }
            current = next.id
        }
        return current
    }

    /// The tree's parent id for a folder id (the root is `""` in the tree).
    func treeID(_ id: String) -> String { id == rootID ? "" : id }

    func path(of id: String) -> String { "/" + (tree.names(to: id) ?? []).joined(separator: "/") }

    var used: Int64 { tree.nodes.values.reduce(0) { $0 + ($1.isFolder ? 0 : $1.size) } }
}
