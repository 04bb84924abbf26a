import ConnectorKit
import Crypto
import Foundation
import Glibc

/// An upload (pikpak.md §3.6). PikPak wants the content's GCID before the first byte, but the host
/// streams the bytes: they wait in a spool (`PikPakSpool`) while the GCID is computed. At finish the
/// ticket is asked for; when PikPak already has the content (or it is empty) the file is complete at
/// once and nothing is sent, else the bytes go to the storage host the ticket names, in one PUT or
/// in parts, signed with the ticket's temporary credentials. The file is reported only once PikPak
/// says it is complete with the GCID computed here.
///
/// Resumable across runs: while the bytes arrive, a checkpoint names the spool; once parts are
/// going up, it also holds the ticket and the parts done. A later run finds the spool, takes up the
/// bytes it holds (the host sends only the rest), and sends only the parts the store lacks.
final class PikPakWriter: SuspendableWriter {
    private let c: PikPakConnector
    private let path: String
    private let shown: String
    private let parentPath: String
    private let name: String
    private let size: Int64
    private let replacing: PikPakKnown?
    private let checkpoint: ((String, Int64) -> Void)?
    private var spool: PikPakSpool?
    private var written: Int64 = 0
    private var lastCheckpoint: Int64 = 0
    private var hasher: GCIDHasher
    /// The ticket and the parts of a multipart upload, once they exist (from this run or a token).
    private var multipart: ResumeState.Multipart?
    /// The pending file a ticket made, removed again if the upload is aborted.
    private var pendingID: String?
    private(set) var startOffset: Int64 = 0

    init(connector: PikPakConnector, path: String, options: WriteOptions) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "pikpak: the root is a folder") }
        try PikPakPath.validate(path)
        guard let size = options.size else {
            throw ConnectorFailure(.unsupported, "pikpak: uploads need the size first (PikPak's hash depends on it)")
        }
        c = connector
        self.path = path
        shown = "'\(path)'"
        (parentPath, name) = PikPakPath.split(path)
        self.size = size
        checkpoint = options.checkpoint
        try connector.mkdir(parentPath)
        let existing = try? connector.resolve(path)
        if let existing {
            if existing.isFolder { throw ConnectorFailure(.isADirectory, "pikpak: \(shown) is a folder") }
            if !options.replace { throw ConnectorFailure(.exists, "pikpak: \(shown) already exists") }
        }
        replacing = existing
        hasher = GCIDHasher(size: size)
        if let token = options.resumeToken, try resume(token) { return }
        spool = try PikPakSpool.create(named: checkpoint != nil)
    }

    deinit { abort() }

    /// Takes an earlier run's upload up again; false when nothing of it can be used.
    private func resume(_ token: String) throws -> Bool {
        guard let state = ResumeState(token: token), state.size == size, let found = PikPakSpool.reopen(state.spool)
        else {
            c.host.log(.info, "pikpak: the interrupted upload of \(shown) is gone; starting over")
            return false
        }
        // Bytes past the size cannot be ours; a process killed mid-write keeps what it wrote.
        let held = min(found.size, size)
        try found.truncate(to: held)
        try found.scan(held) { hasher.update($0) }
        spool = found
        written = held
        startOffset = held
        lastCheckpoint = held
        if let parts = state.multipart, held == size, parts.expires > Date().addingTimeInterval(300) {
            multipart = parts
            pendingID = parts.fileID
        }
        c.host.log(.info, "pikpak: resuming the upload of \(shown) at \(held) of \(size) bytes")
        return true
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard written + Int64(bytes.count) <= size else {
            throw ConnectorFailure(.invalidArgument, "pikpak: more than the \(size) bytes announced for \(shown)")
        }
        guard let spool else { throw ConnectorFailure(.invalidArgument, "pikpak: write after finish or abort") }
        try spool.write(bytes, at: written)
        hasher.update(bytes)
        written += Int64(bytes.count)
        if written - lastCheckpoint >= c.settings.chunkSize, let named = spool.path {
            lastCheckpoint = written
            checkpoint?(ResumeState(spool: named, size: size).token, written)
        }
    }

    func finish() throws -> ConnectorEntry {
        guard written == size, let spool else {
            throw ConnectorFailure(.invalidArgument, "pikpak: \(written) of the \(size) bytes announced for \(shown)")
        }
        let gcid = multipart?.gcid ?? hasher.finalizeHex()
        if let old = replacing, old.gcid == gcid, old.size == size {
            // The file there already holds these bytes: nothing to send, nothing to replace (and
            // a resumed upload of them is given up).
            abort()
            return old.entry(path)
        }
        let id: String
        if let parts = multipart {
            id = parts.fileID
            try upload(parts, spool: spool)
        } else {
            id = try ticketAndSend(gcid: gcid, spool: spool)
        }
        var landed = try completed(id, gcid: gcid)
        // PikPak numbers a name that is taken; the file replaced goes now, and the new one takes
        // its name.
        if !PikPakPath.same(landed["name"] as? String, name) {
            if let old = replacing { try c.discard([old.id], what: "replace \(shown)") }
            try c.rename(id, to: name, what: "upload \(shown)")
            landed = try c.drive("GET", "/files/\(id)")
        }
        pendingID = nil
        multipart = nil  // completed: nothing for abort to undo
        spool.remove()
        self.spool = nil
        // The folder's listing stays whole with the new file in it: the next upload there needs
        // no listing to know its name is free.
        c.cache.put(path, c.known(landed))
        var entry = c.known(landed).entry(path)
        entry.hashes = [.gcid: gcid]
        return entry
    }

    /// The ticket, then the bytes unless PikPak already has them; the new file's id.
    private func ticketAndSend(gcid: String, spool: PikPakSpool) throws -> String {
        let parent = try c.resolve(parentPath)
        let ticket = try c.drive(
            "POST", "/files",
            json: [
                "kind": "drive#file", "name": name, "parent_id": parent.id, "folder_type": "NORMAL", "size": size,
                "hash": gcid.uppercased(), "upload_type": "UPLOAD_TYPE_RESUMABLE",
                "resumable": ["provider": "PROVIDER_ALIYUN"],
            ])
        guard let file = ticket["file"] as? [String: Any], let id = file["id"] as? String else {
            throw ConnectorFailure(.transient, "pikpak: the upload ticket for \(shown) has no file")
        }
        pendingID = id
        guard file["phase"] as? String != "PHASE_TYPE_COMPLETE" else { return id }
        guard let raw = (ticket["resumable"] as? [String: Any])?["params"] as? [String: Any] else {
            throw ConnectorFailure(.transient, "pikpak: the upload ticket for \(shown) has no storage credentials")
        }
        let params = raw.compactMapValues { $0 as? String }
        let storage = try PikPakStorage(params, settings: c.settings, http: c.http)
        let task = (ticket["task"] as? [String: Any])?["id"] as? String
        if size < c.settings.uploadCutoff {
            try storage.put(spool: spool.fd, size: size, what: "upload \(shown)")
            if let task, !task.isEmpty { try c.wait(task: task, what: "upload \(shown)") }
            return id
        }
        let parts = try storage.initiate(size: size, chunk: c.settings.chunkSize, what: "upload \(shown)")
        try upload(
            .init(
                fileID: id, task: task, gcid: gcid, params: params,
                expires: PikPakTime.nanoseconds(params["expiration"]).map {
                    Date(timeIntervalSince1970: Double($0) / 1e9)
                }
                    ?? Date().addingTimeInterval(3600), parts: parts),
            spool: spool)
        return id
    }

    /// The parts the store lacks, a checkpoint after each, then the upload's task.
    private func upload(_ state: ResumeState.Multipart, spool: PikPakSpool) throws {
        multipart = state
        let storage = try PikPakStorage(state.params, settings: c.settings, http: c.http)
        try storage.upload(state.parts, spool: spool.fd, size: size, what: "upload \(shown)") { parts in
            multipart?.parts = parts
            if let named = spool.path, let current = multipart {
                checkpoint?(ResumeState(spool: named, size: size, multipart: current).token, size)
            }
        }
        if let task = state.task, !task.isEmpty { try c.wait(task: task, what: "upload \(shown)") }
    }

    /// The file once PikPak calls it complete, checked against the GCID computed here.
    private func completed(_ id: String, gcid: String) throws -> [String: Any] {
        var delay = 0.05
        for _ in 0..<40 {
            let file = try c.drive("GET", "/files/\(id)")
            switch file["phase"] as? String {
            case "PHASE_TYPE_COMPLETE":
                guard PikPakHashes.gcid(file["hash"]) == gcid else {
                    throw ConnectorFailure(
                        .corrupt,
                        "pikpak: \(shown) landed with GCID \(file["hash"] ?? "none"), the bytes sent have \(gcid)")
                }
                return file
            case "PHASE_TYPE_ERROR":
                throw ConnectorFailure(
                    .corrupt, "pikpak: PikPak failed the upload of \(shown) (its content did not match)")
            default:
                Thread.sleep(forTimeInterval: delay)
                delay = min(1, delay * 2)
            }
        }
        throw ConnectorFailure(.transient, "pikpak: \(shown) is still not complete after its upload")
    }

    /// Stops, keeping the spool and the pending upload for the token a checkpoint handed out.
    func suspend() {
        spool?.close()
        spool = nil
        pendingID = nil
        multipart = nil
    }

    func abort() {
        spool?.remove()
        spool = nil
        if let parts = multipart, let storage = try? PikPakStorage(parts.params, settings: c.settings, http: c.http) {
            storage.abort(parts.parts)
        }
        multipart = nil
        guard let id = pendingID else { return }
        pendingID = nil
        // Waited for: a pending file holds its name, and the next try (a retry comes at once)
        // would otherwise get a numbered one and find the name still taken when it renames.
        if let answer = try? c.drive("POST", "/files:batchDelete", json: ["ids": [id]]),
            let task = answer["task_id"] as? String, !task.isEmpty
        {
            try? c.wait(task: task, what: "abandon the upload of \(shown)")
        }
    }
}

/// What a resume token holds: the spool's name, and once parts are going up, the ticket (the
/// pending file, its task, the GCID it was announced with, the storage credentials) and the parts
/// done. The credentials are temporary and the token is kept in the state database, which is the
/// user's alone (mode 0600).
struct ResumeState: Codable {
    struct Multipart: Codable {
        var fileID: String
        var task: String?
        var gcid: String
        var params: [String: String]
        var expires: Date
        var parts: PikPakStorage.Parts
    }

    var spool: String
    var size: Int64
    var multipart: Multipart?

    init(spool: String, size: Int64, multipart: Multipart? = nil) {
        self.spool = spool
        self.size = size
        self.multipart = multipart
    }

    static let prefix = "pikpak-v1:"

    var token: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return Self.prefix + data.base64EncodedString()
    }

    init?(token: String) {
        guard token.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(token.dropFirst(Self.prefix.count))),
            let state = try? JSONDecoder().decode(ResumeState.self, from: data)
        else { return nil }
        self = state
    }
}

extension PikPakConnector {
    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try PikPakWriter(connector: self, path: path, options: options)
    }
}
