import ConnectorKit
import Crypto
import Foundation
import Glibc

/// Where an upload goes and what every way of sending it shares (pikpak.md §3.6): the checks
/// before it, the ticket, the file once PikPak calls it complete, the name it must end under, and
/// the cleanup of a pending file given up.
final class PikPakUploadTarget {
    let c: PikPakConnector
    let path: String
    let shown: String
    let parentPath: String
    let name: String
    let size: Int64
    /// The file the upload replaces, if there is one.
    let replacing: PikPakKnown?

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
        try connector.mkdir(parentPath)
        let existing = try? connector.resolve(path)
        if let existing {
            if existing.isFolder { throw ConnectorFailure(.isADirectory, "pikpak: \(shown) is a folder") }
            if !options.replace { throw ConnectorFailure(.exists, "pikpak: \(shown) already exists") }
        }
        replacing = existing
    }

    /// The file there already, when it holds exactly this content: nothing to send or replace.
    func alreadyThere(_ gcid: String) -> ConnectorEntry? {
        guard let old = replacing, old.gcid == gcid, old.size == size else { return nil }
        return old.entry(path)
    }

    /// What a ticket gave: the new file, whether PikPak completed it at once (it has the content,
    /// or it is empty), and otherwise where the bytes go.
    struct Ticket {
        var fileID: String
        var complete: Bool
        var params: [String: String]
        var task: String?

        /// When the storage credentials run out (an hour when the ticket does not say).
        var expires: Date {
            PikPakTime.nanoseconds(params["expiration"]).map { Date(timeIntervalSince1970: Double($0) / 1e9) }
                ?? Date().addingTimeInterval(3600)
        }
    }

    /// Announces the upload by its GCID. The pending file it makes holds the name (or a numbered
    /// one) until it completes or is discarded.
    func ticket(gcid: String) throws -> Ticket {
        let parent = try c.resolve(parentPath)
        let answer = try c.drive(
            "POST", "/files",
            json: [
                "kind": "drive#file", "name": name, "parent_id": parent.id, "folder_type": "NORMAL", "size": size,
                "hash": gcid.uppercased(), "upload_type": "UPLOAD_TYPE_RESUMABLE",
                "resumable": ["provider": "PROVIDER_ALIYUN"],
            ])
        guard let file = answer["file"] as? [String: Any], let id = file["id"] as? String else {
            throw ConnectorFailure(.transient, "pikpak: the upload ticket for \(shown) has no file")
        }
        let task = (answer["task"] as? [String: Any])?["id"] as? String
        if file["phase"] as? String == "PHASE_TYPE_COMPLETE" {
            return Ticket(fileID: id, complete: true, params: [:], task: task)
        }
        guard let raw = (answer["resumable"] as? [String: Any])?["params"] as? [String: Any] else {
            // The pending file would hold the name: it goes before the failure is reported.
            discard(pending: id)
            throw ConnectorFailure(.transient, "pikpak: the upload ticket for \(shown) has no storage credentials")
        }
        return Ticket(fileID: id, complete: false, params: raw.compactMapValues { $0 as? String }, task: task)
    }

    /// Waits for the upload's task, then for PikPak to call the file complete with the GCID the
    /// bytes have; a file PikPak numbered because the name was taken then takes the name (the file
    /// it replaces goes first). Reported with that GCID.
    func land(_ id: String, task: String?, gcid: String) throws -> ConnectorEntry {
        if let task, !task.isEmpty { try c.wait(task: task, what: "upload \(shown)") }
        var landed = try completed(id, gcid: gcid)
        if !PikPakPath.same(landed["name"] as? String, name) {
            if let old = replacing { try c.discard([old.id], what: "replace \(shown)") }
            try c.rename(id, to: name, what: "upload \(shown)")
            landed = try c.drive("GET", "/files/\(id)")
        }
        // The folder's listing stays whole with the new file in it: the next upload there needs
        // no listing to know its name is free.
        c.cache.put(path, c.known(landed))
        var entry = c.known(landed).entry(path)
        entry.hashes = [.gcid: gcid]
        return entry
    }

    /// The file once PikPak calls it complete, checked against the GCID of the bytes.
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

    /// Deletes a pending file given up, and waits for it: a pending file holds its name, and the
    /// next try (a retry comes at once) would otherwise get a numbered one and find the name still
    /// taken when it renames. Goes out even after the host asked to stop.
    func discard(pending id: String) {
        if let answer = try? c.drive("POST", "/files:batchDelete", json: ["ids": [id]]),
            let task = answer["task_id"] as? String, !task.isEmpty
        {
            try? c.wait(task: task, what: "abandon the upload of \(shown)")
        }
    }
}

/// An upload whose GCID is not known before the bytes arrive (the source lists none and cannot
/// compute one): PikPak wants it before the first byte, so the bytes wait in a spool
/// (`PikPakSpool`) while the GCID is computed. At finish the ticket is asked for; when PikPak already
/// has the content (or it is empty) the file is complete at once and nothing is sent, else the
/// bytes go to the storage host the ticket names, in one PUT or in parts, signed with the ticket's
/// temporary credentials. The file is reported only once PikPak says it is complete with the GCID
/// computed here. (With a known GCID, `PikPakStreamingWriter` sends the bytes as they come.)
///
/// Resumable across runs: while the bytes arrive, a checkpoint names the spool; once parts are
/// going up, it also holds the ticket and the parts done. A later run finds the spool, takes up the
/// bytes it holds (the host sends only the rest), and sends only the parts the store lacks.
final class PikPakWriter: SuspendableWriter {
    private let target: PikPakUploadTarget
    private var c: PikPakConnector { target.c }
    private var size: Int64 { target.size }
    private var shown: String { target.shown }
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

    init(_ target: PikPakUploadTarget, options: WriteOptions, resume state: ResumeState?) throws {
        self.target = target
        checkpoint = options.checkpoint
        hasher = GCIDHasher(size: target.size)
        if let state, try resume(state) { return }
        spool = try PikPakSpool.create(named: checkpoint != nil)
    }

    deinit { abort() }

    /// Takes an earlier run's upload up again; false when nothing of it can be used.
    private func resume(_ state: ResumeState) throws -> Bool {
        guard state.size == size, let named = state.spool, let found = PikPakSpool.reopen(named) else {
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
        if let old = target.alreadyThere(gcid) {
            abort()  // a resumed upload of these bytes is given up
            return old
        }
        let id: String
        var task: String?
        if let parts = multipart {
            (id, task) = (parts.fileID, parts.task)
            try upload(parts, spool: spool)
        } else {
            let ticket = try target.ticket(gcid: gcid)
            pendingID = ticket.fileID
            (id, task) = (ticket.fileID, ticket.task)
            if !ticket.complete { try send(ticket, gcid: gcid, spool: spool) }
        }
        let entry = try target.land(id, task: task, gcid: gcid)
        pendingID = nil
        multipart = nil  // completed: nothing for abort to undo
        spool.remove()
        self.spool = nil
        return entry
    }

    /// The bytes to the storage host the ticket names: one PUT below `upload_cutoff`, else parts.
    private func send(_ ticket: PikPakUploadTarget.Ticket, gcid: String, spool: PikPakSpool) throws {
        let storage = try PikPakStorage(ticket.params, settings: c.settings, http: c.http)
        if size < c.settings.uploadCutoff {
            try storage.put(spool: spool.fd, size: size, what: "upload \(shown)")
            return
        }
        let parts = try storage.initiate(size: size, chunk: c.settings.chunkSize, what: "upload \(shown)")
        try upload(
            .init(
                fileID: ticket.fileID, task: ticket.task, gcid: gcid, params: ticket.params, expires: ticket.expires,
                parts: parts),
            spool: spool)
    }

    /// The parts the store lacks, a checkpoint after each, then the completion.
    private func upload(_ state: ResumeState.Multipart, spool: PikPakSpool) throws {
        multipart = state
        let storage = try PikPakStorage(state.params, settings: c.settings, http: c.http)
        try storage.upload(state.parts, spool: spool.fd, size: size, what: "upload \(shown)") { parts in
            multipart?.parts = parts
            if let named = spool.path, let current = multipart {
                checkpoint?(ResumeState(spool: named, size: size, multipart: current).token, size)
            }
        }
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
        if let id = pendingID {
            pendingID = nil
            target.discard(pending: id)
        }
    }
}

/// What a resume token holds: the spool's name (none when the GCID was known and the bytes went
/// up as they came), and once parts are going up, the ticket (the pending file, its task, the GCID
/// it was announced with, the storage credentials) and the parts done. The credentials are temporary and the token is kept in the state database, which is the
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

    var spool: String?
    var size: Int64
    var multipart: Multipart?

    init(spool: String?, size: Int64, multipart: Multipart? = nil) {
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
    /// A GCID the host knows (listed by the source, or computed there on demand) lets the bytes go
    /// up as they come; without one they wait in a spool. A resume token says which way it began.
    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        let target = try PikPakUploadTarget(connector: self, path: path, options: options)
        let state = options.resumeToken.flatMap { ResumeState(token: $0) }
        if let gcid = options.knownHashes[.gcid], state?.spool == nil {
            return try PikPakStreamingWriter(target, gcid: gcid, options: options, resume: state)
        }
        return try PikPakWriter(target, options: options, resume: state)
    }
}
