import EmulatorKit
import Foundation

/// One file or folder of an emulated PikPak drive. Ids are opaque strings; the root has none
/// (`""`). A file being uploaded exists as PENDING until its bytes are complete.
// Unchecked (this and the other model classes): read and written under the emulator's lock only.
final class PikPakNode: TreeNode, @unchecked Sendable {
    let id: String
    var parentId: String
    var name: String
    let isFolder: Bool
    var size: Int64
    /// GCID, upper-case hex as PikPak writes it; empty for folders.
    var gcid: String
    var md5: String
    var blob: String?
    var phase: String
    var trashed = false
    let created: Date
    var modified: Date
    var revision = 1

    init(
        id: String, parentId: String, name: String, isFolder: Bool, size: Int64 = 0, gcid: String = "",
        md5: String = "", blob: String? = nil, phase: String = PikPakNode.complete, now: Date
    ) {
        self.id = id
        self.parentId = parentId
        self.name = name
        self.isFolder = isFolder
        self.size = size
        self.gcid = gcid
        self.md5 = md5
        self.blob = blob
        self.phase = phase
        created = now
        modified = now
    }

    static let complete = "PHASE_TYPE_COMPLETE"
    static let pending = "PHASE_TYPE_PENDING"
    static let failed = "PHASE_TYPE_ERROR"
}

/// An asynchronous operation (a batch move, a trash, an offline download): RUNNING until `done`,
/// then COMPLETE (or ERROR with a message).
final class PikPakTask: @unchecked Sendable {
    let id: String
    let type: String
    let name: String
    let created: Date
    var done: Date
    var fileId: String?
    var fileName: String?
    var fileSize: Int64 = 0
    var error: String?
    /// Whose task it is (offline downloads are listed per account); the link it was started with.
    var account: String?
    var source: String?

    init(id: String, type: String, name: String, created: Date, done: Date) {
        self.id = id
        self.type = type
        self.name = name
        self.created = created
        self.done = done
    }
}

/// A storage upload in progress: the ticket's credentials and key, and the multipart uploads
/// opened on it.
final class PikPakUpload: @unchecked Sendable {
    let key: String
    let fileId: String
    let account: String
    let accessKeyId: String
    let securityToken: String
    let expires: Date
    /// uploadId → part number → (blob, ETag).
    var multiparts: [String: [Int: (blob: String, etag: String)]] = [:]
    /// The ticket's task, which completes when the bytes are in.
    var taskId: String?

    init(key: String, fileId: String, account: String, accessKeyId: String, securityToken: String, expires: Date) {
        self.key = key
        self.fileId = fileId
        self.account = account
        self.accessKeyId = accessKeyId
        self.securityToken = securityToken
        self.expires = expires
    }
}

/// An emulated PikPak account: its user, its drive and its sessions.
final class PikPakAccount: @unchecked Sendable {
    let name: String
    let userId: String
    var password: String
    /// The drive (EmulatorKit's shared tree); trashed items stay in it, marked.
    let tree = NodeTree<PikPakNode>()
    var nodes: [String: PikPakNode] { tree.nodes }
    var quota: Int64 = 10 << 40
    /// Refresh tokens that may still be used once (each use rotates it).
    var refreshTokens: Set<String> = []
    /// Access tokens and when they stop working.
    var accessTokens: [String: Date] = [:]

    init(name: String, password: String, userId: String) {
        self.name = name
        self.password = password
        self.userId = userId
    }

    func add(_ node: PikPakNode) { tree.add(node) }

    func move(_ node: PikPakNode, to parent: String) { tree.move(node, to: parent) }

    /// A live (untrashed, not failed) child named exactly `name` (bytes compared).
    func child(of parent: String, named name: String, except: String? = nil) -> PikPakNode? {
        tree.child(of: parent) {
            !$0.trashed && $0.phase != PikPakNode.failed && $0.id != except && $0.name.utf8.elementsEqual(name.utf8)
        }
    }

    /// `name`, or `name(1).ext`, `name(2).ext`… : the first free in `parent` (how PikPak names an
    /// item moved, copied or restored onto a taken name).
    func freeName(_ name: String, in parent: String) -> String {
        tree.freeName(
            name, isTaken: { child(of: parent, named: $0) != nil },
            numbered: { stem, n, ext in ext.isEmpty ? "\(stem)(\(n))" : "\(stem)(\(n)).\(ext)" })
    }

    func subtree(_ id: String) -> [PikPakNode] { tree.subtree(id) }

    func isInside(_ id: String, _ ancestor: String) -> Bool { tree.isInside(id, ancestor) }

    /// Bytes counted against the quota: every complete file, trashed ones included.
    var usage: Int64 { nodes.values.reduce(0) { $0 + ($1.isFolder || $1.phase != PikPakNode.complete ? 0 : $1.size) } }
    var usageInTrash: Int64 { nodes.values.reduce(0) { $0 + ($1.trashed && !$1.isFolder ? $1.size : 0) } }
}
