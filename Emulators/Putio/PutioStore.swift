import CCRC32
import Foundation

/// One file or folder of an emulated account. Content lives in an immutable blob file on disk.
final class PutioNode {
    let id: Int64
    var parentId: Int64
    var name: String
    let isFolder: Bool
    var size: Int64
    var crc32: String?
    var blob: String?
    /// Put.io's MP4 conversion of a video, when one was made: a separate blob, not a listed file.
    var mp4Blob: String?
    var mp4Size: Int64 = 0
    let createdAt: Int64
    var updatedAt: Int64

    init(
        id: Int64, parentId: Int64, name: String, isFolder: Bool, size: Int64 = 0, crc32: String? = nil,
        blob: String? = nil, now: Int64
    ) {
        self.id = id
        self.parentId = parentId
        self.name = name
        self.isFolder = isFolder
        self.size = size
        self.crc32 = crc32
        self.blob = blob
        createdAt = now
        updatedAt = now
    }
}

/// An emulated Put.io account: its tree (root id 0), trash, uploads in progress and transfers.
final class PutioAccount {
    let name: String
    var tokens: Set<String>
    var nodes: [Int64: PutioNode] = [:]
    /// Children in creation order, as the listing returns them.
    var children: [Int64: [Int64]] = [0: []]
    var trash: [PutioNode] = []
    var trashEnabled = true
    var diskSize: Int64 = 1 << 40
    var uploads: [String: TusUpload] = [:]
    var transfers: [Int64: PutioTransfer] = [:]
    var transferOrder: [Int64] = []

    init(name: String, token: String) {
        self.name = name
        tokens = [token]
    }

    func child(of parent: Int64, named name: String) -> PutioNode? {
        // With duplicates the oldest sibling answers: deterministic, as the notes ask. Names are
        // compared byte for byte (NFC and NFD spellings are different names).
        children[parent]?.lazy.compactMap { self.nodes[$0] }.first { $0.name.utf8.elementsEqual(name.utf8) }
    }

    func add(_ node: PutioNode) {
        nodes[node.id] = node
        children[node.parentId, default: []].append(node.id)
        if node.isFolder { children[node.id] = children[node.id] ?? [] }
    }

    func detach(_ node: PutioNode) {
        children[node.parentId]?.removeAll { $0 == node.id }
    }

    /// Removes a node and its subtree from the live tree, and their blobs from the disk (copies
    /// share blobs through hard links, so unlinking one copy's never harms another). The trash
    /// keeps figures only: the emulator does not restore.
    func removeTree(_ node: PutioNode) {
        detach(node)
        var stack = [node.id]
        while let id = stack.popLast() {
            stack.append(contentsOf: children[id] ?? [])
            children[id] = nil
            let removed = nodes.removeValue(forKey: id)
            if let blob = removed?.blob { unlink(blob) }
            if let mp4 = removed?.mp4Blob { unlink(mp4) }
        }
    }

    /// Folder sizes are the recursive sum of what they hold.
    func size(of node: PutioNode) -> Int64 {
        guard node.isFolder else { return node.size }
        return (children[node.id] ?? []).reduce(0) { sum, id in sum + (nodes[id].map { size(of: $0) } ?? 0) }
    }

    var used: Int64 { nodes.values.reduce(0) { $0 + ($1.isFolder ? 0 : $1.size) } }
    var trashSize: Int64 { trash.reduce(0) { $0 + $1.size } }

    func isAncestor(_ ancestor: Int64, of id: Int64) -> Bool {
        var current: Int64? = id
        while let c = current, c != 0 {
            if c == ancestor { return true }
            current = nodes[c]?.parentId
        }
        return ancestor == 0
    }
}

/// A tus upload in progress: bytes are appended to its blob as they arrive.
final class TusUpload {
    let id: String
    let parentId: Int64
    let name: String
    let length: Int64
    var offset: Int64 = 0
    var crc: UInt = 0
    let blob: String
    let updatedAt: Int64?
    let overwrite: Bool
    var handle: FileHandle?
    /// A PATCH is streaming into it.
    var busy = false
    /// The PATCH whose body is arriving came at the wrong offset: answer it 409.
    var rejectNext = false
    /// The PATCH whose body is arriving raced another one still streaming: answer it 423.
    var lockedNext = false
    var overflow = false
    /// The file it became once its last byte arrived (kept so a HEAD or a repeated final PATCH
    /// still gets its answer, as tusd keeps finished uploads).
    var placed: PutioNode?

    init(id: String, parentId: Int64, name: String, length: Int64, blob: String, updatedAt: Int64?, overwrite: Bool) {
        self.id = id
        self.parentId = parentId
        self.name = name
        self.length = length
        self.blob = blob
        self.updatedAt = updatedAt
        self.overwrite = overwrite
    }
}

/// CRC-32 (zlib's, as Put.io reports it) in 8 lowercase hex digits.
enum PutioCRC {
    static func update(_ crc: UInt, _ bytes: UnsafeRawBufferPointer) -> UInt {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return UInt(sc_crc32(UInt32(truncatingIfNeeded: crc), base, bytes.count))
    }

    static func hex(_ crc: UInt) -> String {
        let s = String(crc & 0xffff_ffff, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    static func of(file path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return hex(0) }
        defer { try? handle.close() }
        var crc: UInt = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            crc = chunk.withUnsafeBytes { update(crc, $0) }
        }
        return hex(crc)
    }
}
