import ConnectorKit
import Crypto
import Foundation
import Glibc

/// An upload (pikpak.md §3.6). PikPak wants the content's GCID before the first byte, but the host
/// streams the bytes: they are kept in an unlinked temporary file (mode 0600, gone with the
/// process) while the GCID is computed. At finish the ticket is asked for; when PikPak already has
/// the content (or it is empty) the file is complete at once and nothing is sent, else the bytes go
/// to the storage host the ticket names, in one PUT or in parts, signed with the ticket's
/// temporary credentials. The file is reported only once PikPak says it is complete with the GCID
/// that was computed here.
final class PikPakWriter: ConnectorWriter {
    private let c: PikPakConnector
    private let path: String
    private let shown: String
    private let parentPath: String
    private let name: String
    private let size: Int64
    private let replacing: PikPakKnown?
    private var spool: Int32
    private var written: Int64 = 0
    private var hasher: GCIDHasher
    /// The pending file a ticket made, removed again if the upload does not complete.
    private var pendingID: String?

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
        hasher = GCIDHasher(size: size)
        spool = try Self.makeSpool()
    }

    deinit { abort() }

    /// An unlinked temporary file in `$TMPDIR`, else `/var/tmp` (`/tmp` is often memory).
    private static func makeSpool() throws -> Int32 {
        let env = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 }
        let folder = env ?? (FileManager.default.fileExists(atPath: "/var/tmp") ? "/var/tmp" : "/tmp")
        var template = Array((folder + "/sync-core-pikpak.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ConnectorFailure.posix(errno, "spool the upload in", folder) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard written + Int64(bytes.count) <= size else {
            throw ConnectorFailure(.invalidArgument, "pikpak: more than the \(size) bytes announced for \(shown)")
        }
        var done = 0
        while done < bytes.count {
            // At most 32 KiB per call: the kernel sizes a page-cache folio by the write that makes
            // it, and larger ones are costly allocations (docs/benchmarks.md, the local connector).
            let slice = min(bytes.count - done, 32 << 10)
            let n = pwrite(spool, bytes.baseAddress! + done, slice, off_t(written) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ConnectorFailure.posix(errno, "spool", path) }
            done += n
        }
        hasher.update(bytes)
        written += Int64(bytes.count)
    }

    func finish() throws -> ConnectorEntry {
        guard written == size else {
            throw ConnectorFailure(.invalidArgument, "pikpak: \(written) of the \(size) bytes announced for \(shown)")
        }
        let gcid = hasher.finalizeHex()
        if let old = replacing, old.gcid == gcid, old.size == size {
            // The file there already holds these bytes: nothing to send, nothing to replace.
            closeSpool()
            return old.entry(path)
        }
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
        if file["phase"] as? String != "PHASE_TYPE_COMPLETE" {
            guard let params = (ticket["resumable"] as? [String: Any])?["params"] as? [String: Any] else {
                throw ConnectorFailure(.transient, "pikpak: the upload ticket for \(shown) has no storage credentials")
            }
            let storage = try PikPakStorage(params, settings: c.settings, http: c.http)
            if size < c.settings.uploadCutoff {
                try storage.put(spool: spool, size: size, what: "upload \(shown)")
            } else {
                try storage.multipart(spool: spool, size: size, chunk: c.settings.chunkSize, what: "upload \(shown)")
            }
            if let task = (ticket["task"] as? [String: Any])?["id"] as? String, !task.isEmpty {
                try c.wait(task: task, what: "upload \(shown)")
            }
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
        closeSpool()
        // The folder's listing stays whole with the new file in it: the next upload there needs
        // no listing to know its name is free.
        c.cache.put(path, c.known(landed))
        var entry = c.known(landed).entry(path)
        entry.hashes = [.gcid: gcid]
        return entry
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

    func abort() {
        closeSpool()
        guard let id = pendingID else { return }
        pendingID = nil
        _ = try? c.drive("POST", "/files:batchDelete", json: ["ids": [id]])
    }

    private func closeSpool() {
        if spool >= 0 {
            Glibc.close(spool)
            spool = -1
        }
    }
}

extension PikPakConnector {
    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try PikPakWriter(connector: self, path: path, options: options)
    }
}
