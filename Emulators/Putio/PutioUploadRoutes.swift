import EmulatorKit
import Foundation

/// The upload host: one multipart request for small files, tus 1.0.0 for resumable ones.
extension PutioEmulator {
    /// Files end up here; `overwrite` replaces same-named files, otherwise a duplicate appears.
    func place(
        _ a: PutioAccount, parent: Int64, name: String, blob: String, size: Int64, crc: String,
        updatedAt: Int64?, overwrite: Bool
    ) -> PutioNode {
        if overwrite {
            for id in a.children[parent] ?? [] {
                if let old = a.nodes[id], old.name.utf8.elementsEqual(name.utf8), !old.isFolder { a.removeTree(old) }
            }
        }
        let node = PutioNode(
            id: newId(), parentId: parent, name: name, isFolder: false, size: size, crc32: crc, blob: blob, now: clock()
        )
        if let updatedAt { node.updatedAt = updatedAt }
        a.add(node)
        return node
    }

    // MARK: Single request

    func singleUpload(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let type = r.header("Content-Type"), type.hasPrefix("multipart/form-data"),
            let boundary = type.components(separatedBy: "boundary=").last?.trimmingCharacters(
                in: CharacterSet(charactersIn: "\" "))
        else { return PutioJSON.error(400, "INVALID_REQUEST", "expected multipart/form-data") }
        let parts = Multipart.parse(r.body, boundary: boundary)
        guard let file = parts.first(where: { $0.name == "file" }) else {
            return PutioJSON.error(400, "INVALID_REQUEST", "no file part")
        }
        let fields = Dictionary(
            parts.filter { $0.name != "file" }.map { ($0.name, String(decoding: $0.body, as: UTF8.self)) }
        ) { $1 }
        guard let parent = node(fields["parent_id"] ?? "0", a), parent.isFolder else {
            return notFound("Parent not found")
        }
        let (name, bad) = checkName(fields["filename"] ?? file.filename)
        guard let name else { return bad! }
        let blob = newBlobPath()
        _ = FileManager.default.createFile(atPath: blob, contents: Data(file.body))
        let crc = file.body.withUnsafeBytes { PutioCRC.hex(PutioCRC.update(0, $0)) }
        let placed = place(
            a, parent: parent.id, name: name, blob: blob, size: Int64(file.body.count), crc: crc, updatedAt: nil,
            overwrite: false)
        return committed(PutioJSON.ok(["file": PutioJSON.file(placed, in: a)]))
    }

    // MARK: tus

    func tusCreate(_ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard r.header("Tus-Resumable") == "1.0.0" else {
            return EmulatorResponse(status: 412, headers: [("Tus-Version", "1.0.0")])
        }
        guard let lengthText = r.header("Upload-Length"), let length = Int64(lengthText), length >= 0 else {
            return PutioJSON.error(400, "INVALID_REQUEST", "Upload-Length is required")
        }
        var meta: [String: String] = [:]
        for pair in (r.header("Upload-Metadata") ?? "").split(separator: ",") {
            let kv = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            guard let key = kv.first else { continue }
            let value =
                kv.count > 1 ? Data(base64Encoded: String(kv[1])).map { String(decoding: $0, as: UTF8.self) } : ""
            meta[String(key)] = value ?? ""
        }
        guard let parent = node(meta["parent_id"] ?? "0", a), parent.isFolder else {
            return notFound("Parent not found")
        }
        let (name, bad) = checkName(meta["name"])
        guard let name else { return bad! }
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let blob = newBlobPath()
        _ = FileManager.default.createFile(atPath: blob, contents: nil)
        a.uploads[id] = TusUpload(
            id: id, parentId: parent.id, name: name, length: length, blob: blob,
            updatedAt: meta["updated-at"].flatMap(PutioJSON.parseTime), overwrite: meta["overwrite"] == "true")
        return EmulatorResponse(
            status: 201,
            headers: [("Tus-Resumable", "1.0.0"), ("Location", "http://127.0.0.1:\(r.port)/files/\(id)")])
    }

    /// Streams a PATCH body into its upload's blob; bytes count as received as they arrive. A PATCH
    /// at the wrong offset (or racing another) is swallowed and answered 409.
    func tusSink(_ r: EmulatorRequest) -> BodySink? {
        let id = String(r.path.dropFirst("/files/".count))
        return withLock { () -> BodySink? in
            guard let upload = accounts.values.lazy.compactMap({ $0.uploads[id] }).first else { return DiscardSink() }
            if upload.busy {
                upload.lockedNext = true
                return DiscardSink()
            }
            guard let offsetText = r.header("Upload-Offset"), Int64(offsetText) == upload.offset,
                let handle = FileHandle(forWritingAtPath: upload.blob)
            else {
                upload.rejectNext = true
                return DiscardSink()
            }
            handle.seek(toFileOffset: UInt64(upload.offset))
            upload.handle = handle
            upload.busy = true
            var cutAfter: Int64?
            var keep: Int64?
            if let length = r.header("Content-Length").flatMap({ Int64($0) }), length > 1 {
                if faults.droppedUploads > 0 {
                    if faults.patchesBeforeDrop > 0 {
                        faults.patchesBeforeDrop -= 1
                    } else {
                        faults.droppedUploads -= 1
                        cutAfter = length / 2
                    }
                } else if strikes(\.shortAcknowledgements, rate: faults.rates.shortAcknowledgements) {
                    keep = length / 2
                }
            }
            return TusSink(emulator: self, upload: upload, cutAfter: cutAfter, keep: keep)
        }
    }

    func tusPatch(_ id: String, _ r: EmulatorRequest, _ a: PutioAccount) -> EmulatorResponse {
        guard let upload = a.uploads[id] else { return EmulatorResponse(status: 404) }
        if upload.lockedNext {
            upload.lockedNext = false
            return EmulatorResponse(status: 423, headers: [("Tus-Resumable", "1.0.0"), ("Retry-After", "1")])
        }
        if upload.rejectNext {
            upload.rejectNext = false
            return EmulatorResponse(
                status: 409, headers: [("Tus-Resumable", "1.0.0"), ("Upload-Offset", String(upload.offset))])
        }
        guard r.header("Content-Type") == "application/offset+octet-stream" else {
            return EmulatorResponse(status: 415)
        }
        if upload.overflow {
            a.uploads[id] = nil
            return PutioJSON.error(400, "INVALID_REQUEST", "more bytes than Upload-Length")
        }
        complete(upload, in: a)
        var headers = [("Tus-Resumable", "1.0.0"), ("Upload-Offset", String(upload.offset))]
        if let placed = upload.placed {
            headers += [("Putio-File-Id", String(placed.id)), ("Putio-File-Crc32", placed.crc32!)]
            return committed(EmulatorResponse(status: 204, headers: headers))
        }
        return EmulatorResponse(status: 204, headers: headers)
    }

    /// An upload whose last byte arrived becomes a file then, whether or not its PATCH is answered
    /// (a connection lost after the body does not undo it). Call with the lock held.
    func complete(_ upload: TusUpload, in a: PutioAccount) {
        guard upload.placed == nil, upload.offset == upload.length, !upload.overflow else { return }
        upload.placed = place(
            a, parent: upload.parentId, name: upload.name, blob: upload.blob, size: upload.length,
            crc: PutioCRC.hex(upload.crc), updatedAt: upload.updatedAt, overwrite: upload.overwrite)
    }

    func tusHead(_ id: String, _ a: PutioAccount) -> EmulatorResponse {
        guard let upload = a.uploads[id] else { return EmulatorResponse(status: 404) }
        if upload.busy {
            // A PATCH is still streaming (or its dropped connection is not yet noticed): the offset
            // is moving. tusd answers 423 Locked here too.
            return EmulatorResponse(status: 423, headers: [("Tus-Resumable", "1.0.0"), ("Retry-After", "1")])
        }
        return EmulatorResponse(
            status: 200,
            headers: [
                ("Tus-Resumable", "1.0.0"), ("Upload-Offset", String(upload.offset)),
                ("Upload-Length", String(upload.length)), ("Cache-Control", "no-store"),
            ])
    }

    func tusDelete(_ id: String, _ a: PutioAccount) -> EmulatorResponse {
        guard let upload = a.uploads.removeValue(forKey: id) else { return EmulatorResponse(status: 404) }
        // A finished upload's blob is its file's now.
        if upload.placed == nil { try? FileManager.default.removeItem(atPath: upload.blob) }
        return EmulatorResponse(status: 204, headers: [("Tus-Resumable", "1.0.0")])
    }

    /// Bytes of open uploads not yet complete, for tests that check nothing is left behind.
    public func pendingUploads(of account: String) -> Int { pendingUploadNames(of: account).count }

    /// The names and offsets of uploads not yet complete, for messages.
    public func pendingUploadNames(of account: String) -> [String] {
        withLock {
            (accounts[account]?.uploads.values.filter { $0.placed == nil } ?? []).map {
                "\($0.name) (\($0.offset) of \($0.length))"
            }
        }
    }
}

/// Appends a PATCH body to an upload's blob, updating its offset and running CRC as bytes arrive.
final class TusSink: BodySink {
    let emulator: PutioEmulator
    let upload: TusUpload
    /// A fault: cut the connection once this many bytes of the PATCH arrived.
    var cutAfter: Int64?
    /// A fault: keep this many bytes of the PATCH, swallow the rest (the answer says so).
    var keep: Int64?

    init(emulator: PutioEmulator, upload: TusUpload, cutAfter: Int64?, keep: Int64? = nil) {
        self.emulator = emulator
        self.upload = upload
        self.cutAfter = cutAfter
        self.keep = keep
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var bytes = bytes
        if let cut = cutAfter {
            bytes = UnsafeRawBufferPointer(rebasing: bytes.prefix(Int(min(Int64(bytes.count), cut))))
            cutAfter = cut - Int64(bytes.count)
        }
        if let left = keep {
            bytes = UnsafeRawBufferPointer(rebasing: bytes.prefix(Int(min(Int64(bytes.count), left))))
            keep = left - Int64(bytes.count)
            if bytes.isEmpty { return true }
        }
        // Only this PATCH writes to the upload (`busy` keeps others out), so the disk write runs
        // outside the emulator's lock: parallel uploads do not queue behind one another.
        let room = emulator.withLock { max(0, upload.length - upload.offset) }
        let take = UnsafeRawBufferPointer(rebasing: bytes.prefix(Int(min(Int64(bytes.count), room))))
        guard let handle = upload.handle else { return false }
        handle.write(
            Data(
                bytesNoCopy: UnsafeMutableRawPointer(mutating: take.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                count: take.count, deallocator: .none))
        let crc = PutioCRC.update(upload.crc, take)
        emulator.withLock {
            upload.crc = crc
            upload.offset += Int64(take.count)
            // Bytes beyond Upload-Length are a client error: the PATCH fails.
            if bytes.count > take.count { upload.overflow = true }
        }
        return cutAfter.map { $0 > 0 } ?? true
    }

    func end(complete: Bool) {
        emulator.withLock {
            try? upload.handle?.close()
            upload.handle = nil
            upload.busy = false
            if let account = emulator.accounts.values.first(where: { $0.uploads[upload.id] === upload }) {
                emulator.complete(upload, in: account)
            }
        }
    }
}

/// Swallows a body the route will refuse anyway, without holding it in memory.
final class DiscardSink: BodySink {
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool { true }
    func end(complete: Bool) {}
}
