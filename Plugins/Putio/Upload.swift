import ConnectorKit
import Foundation

/// Uploads. Small new files without an mtime to keep go up in one multipart request; everything
/// else uses tus 1.0.0: create (`Upload-Length`, metadata with name, parent, mtime, overwrite), then
/// PATCH in chunks, each completed chunk a checkpoint a later run can resume from. A file appears
/// at its path only when its last byte has arrived.
enum PutioWriter {
    static func open(connector: PutioConnector, path: String, options: WriteOptions) throws -> any ConnectorWriter {
        let (parent, name) = PutioPath.split(path)
        try connector.mkdir(parent)
        let parentId = try connector.resolve(parent).id
        if !connector.cache.knownAbsent(name, in: parentId),
            let existing = try connector.lookupIfPresent(name, in: parentId, path: path)
        {
            if existing.isFolder { throw ConnectorFailure(.isADirectory, "write '\(path)': a folder is in the way") }
            if !options.replace { throw ConnectorFailure(.exists, "write '\(path)': already exists") }
        }
        guard let size = options.size else {
            throw ConnectorFailure(.unsupported, "write '\(path)': Put.io needs the size before the upload starts")
        }
        if size < min(connector.uploadCutoff, 64 << 20) && options.mtimeNanoseconds == nil && !options.replace
            && options.resumeToken == nil
        {
            return PutioSingleUpload(connector: connector, path: path, parentId: parentId, name: name, size: size)
        }
        return try PutioTusUpload(
            connector: connector, path: path, parentId: parentId, name: name, size: size, options: options)
    }
}

/// One multipart/form-data POST to `/v2/files/upload`, sent at `finish` (the file is small).
final class PutioSingleUpload: ConnectorWriter {
    let connector: PutioConnector
    let path: String
    let parentId: Int64
    let name: String
    let size: Int64
    private var bytes: [UInt8] = []

    init(connector: PutioConnector, path: String, parentId: Int64, name: String, size: Int64) {
        self.connector = connector
        self.path = path
        self.parentId = parentId
        self.name = name
        self.size = size
        bytes.reserveCapacity(Int(size))
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count + chunk.count) <= size else {
            throw ConnectorFailure(.invalidArgument, "write '\(path)': more bytes than the \(size) announced")
        }
        bytes.append(contentsOf: chunk)
    }

    func finish() throws -> ConnectorEntry {
        guard Int64(bytes.count) == size else {
            throw ConnectorFailure(.invalidArgument, "write '\(path)': \(bytes.count) bytes written, \(size) announced")
        }
        let boundary = "sync-core-" + UUID().uuidString
        var body: [UInt8] = []
        func field(_ name: String, _ value: String) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        field("parent_id", String(parentId))
        field("filename", name)
        let quoted = name.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
        body += Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(quoted)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                .utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let response = try connector.send {
            HTTPRequest(
                "POST", connector.uploadURL + "/v2/files/upload",
                headers: connector.authHeaders + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                body: .bytes(body))
        }
        guard response.isSuccess else { throw PutioErrors.failure("upload '\(path)'", response) }
        guard let file = PutioFile(response.json?["file"]) else {
            throw ConnectorFailure(.transient, "upload '\(path)': no file object in the answer")
        }
        connector.cache.put(path, PutioCacheEntry(id: file.id, isFolder: false, size: file.size))
        connector.cache.noteChild(name, in: parentId)
        return file.entry(at: path)
    }

    func abort() { bytes = [] }
}

/// A tus upload; see `PutioWriter`. Resume tokens are `tus-v1:<length>:<upload URL>`.
///
/// The bytes of the PATCH in flight are kept (at most one chunk) until the server confirms them:
/// tus lets a server keep fewer bytes than a PATCH carried and say so with a smaller
/// `Upload-Offset`, answer 409 when it holds another offset, or lose the connection mid-body. In
/// each case the upload continues from the offset the server confirms, re-sending from memory, so
/// the next byte the server gets is always the one it expects.
final class PutioTusUpload: SuspendableWriter {
    let connector: PutioConnector
    let path: String
    let parentId: Int64
    let name: String
    let size: Int64
    let mtimeNanoseconds: Int64?
    let location: String
    private(set) var startOffset: Int64 = 0
    /// What the server has confirmed; the PATCH in flight starts here.
    private var offset: Int64 = 0
    private var chunk: HTTPUpload?
    /// Where the chunk in flight ends (file offset).
    private var chunkEnd: Int64 = 0
    /// Bytes from `offset` sent (or being sent) and not yet confirmed.
    private var unconfirmed: [UInt8] = []
    /// Re-sends since the server last confirmed more bytes; past `maxResends` the failure goes to
    /// the host, which resumes with the token later.
    private var resends = 0
    private let maxResends = 5
    /// The file's last byte, kept until `finish`.
    private var held: UInt8?
    private var done: ConnectorEntry?
    private let handOut: ((String, Int64) -> Void)?
    /// The furthest offset handed to the host in a resume token.
    private var handedOut: Int64 = 0

    init(connector: PutioConnector, path: String, parentId: Int64, name: String, size: Int64, options: WriteOptions)
        throws
    {
        self.connector = connector
        self.path = path
        self.parentId = parentId
        self.name = name
        self.size = size
        mtimeNanoseconds = options.mtimeNanoseconds
        handOut = options.checkpoint
        if let resumed = try Self.resume(connector, options.resumeToken, size: size) {
            location = resumed.location
            offset = resumed.offset
            startOffset = resumed.offset
            handedOut = resumed.offset  // the host holds the token it resumed with
            return
        }
        var metadata = [
            ("name", name), ("parent_id", String(parentId)), ("no-torrent", "true"),
        ]
        if let mtime = options.mtimeNanoseconds {
            metadata.append(("updated-at", PutioTime.format(nanoseconds: mtime)))
        }
        if options.replace { metadata.append(("overwrite", "true")) }
        let encoded = metadata.map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
        let response = try connector.send {
            HTTPRequest(
                "POST", connector.uploadURL + "/files/",
                headers: connector.authHeaders + [
                    ("Tus-Resumable", "1.0.0"), ("Upload-Length", String(size)), ("Upload-Metadata", encoded),
                ], body: .bytes([]))
        }
        guard response.status == 201, let created = response.header("Location") else {
            throw PutioErrors.failure("upload '\(path)': tus create", response)
        }
        location = Self.absolute(created, base: connector.uploadURL)
    }

    var token: String { "tus-v1:\(size):\(location)" }

    /// Where a token's upload stands on the server, or nil to start afresh (gone, or another size).
    static func resume(_ connector: PutioConnector, _ token: String?, size: Int64) throws -> (
        location: String, offset: Int64
    )? {
        guard let token, token.hasPrefix("tus-v1:") else { return nil }
        let rest = token.dropFirst("tus-v1:".count)
        guard let colon = rest.firstIndex(of: ":"), Int64(rest[..<colon]) == size else { return nil }
        let location = String(rest[rest.index(after: colon)...])
        var response = HTTPResponse(status: 0)
        // 423: the upload is locked by a PATCH the server has not yet seen end (ours, cut short a
        // moment ago); its offset settles once the server notices.
        for wait in [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 0] {
            response = try connector.send {
                HTTPRequest("HEAD", location, headers: connector.authHeaders + [("Tus-Resumable", "1.0.0")])
            }
            guard response.status == 423, wait > 0 else { break }
            Thread.sleep(forTimeInterval: wait)
        }
        if response.status == 404 || response.status == 410 { return nil }
        guard response.status == 200, let offset = response.header("Upload-Offset").flatMap({ Int64($0) }),
            offset <= size
        else { throw PutioErrors.failure("resume upload: tus HEAD", response) }
        return (location, offset)
    }

    static func absolute(_ location: String, base: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        guard let scheme = base.range(of: "://"), let slash = base[scheme.upperBound...].firstIndex(of: "/") else {
            return base + (location.hasPrefix("/") ? "" : "/") + location
        }
        return String(base[..<slash]) + (location.hasPrefix("/") ? "" : "/") + location
    }

    /// Hands the host a token to resume from the confirmed offset.
    private func checkpoint() {
        guard offset > 0 else { return }
        handOut?(token, offset)
        handedOut = offset
    }

    private func patch(length: Int64) -> HTTPUpload {
        connector.http.openUpload(
            HTTPRequest(
                "PATCH", location,
                headers: connector.authHeaders + [
                    ("Tus-Resumable", "1.0.0"), ("Upload-Offset", String(offset)),
                    ("Content-Type", "application/offset+octet-stream"),
                ]), length: length)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while rest.count > 0 {
            let position = offset + Int64(unconfirmed.count)
            guard held == nil, position < size else {
                throw ConnectorFailure(.invalidArgument, "write '\(path)': more bytes than the \(size) announced")
            }
            if chunk == nil {
                chunkEnd = min(offset + connector.chunkSize, size)
                unconfirmed.reserveCapacity(Int(chunkEnd - offset))  // one allocation, kept between chunks
                chunk = patch(length: chunkEnd - offset)
            }
            var n = Int(min(Int64(rest.count), chunkEnd - position))
            let last = position + Int64(n) == size
            if last {
                // The file's final byte is held back until finish(): the server completes the file
                // when it arrives, and an abort before then must leave nothing behind.
                held = rest[n - 1]
                n -= 1
            }
            if n > 0 { try send(UnsafeRawBufferPointer(rebasing: rest.prefix(n))) }
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(n + (last ? 1 : 0)))
            if !last && position + Int64(n) == chunkEnd { try endChunk() }
        }
    }

    /// Keeps bytes until confirmed and streams them into the PATCH in flight.
    private func send(_ bytes: UnsafeRawBufferPointer) throws {
        unconfirmed.append(contentsOf: bytes)
        do {
            try chunk!.write(bytes)
        } catch let failure as ConnectorFailure where failure.code == .transient {
            try recoverMidChunk(after: failure)
        }
    }

    /// The PATCH in flight ended before its last byte (a broken connection, an early answer): the
    /// chunk goes on from the offset the server holds, re-sent from memory, and stays open for the
    /// bytes still to come. An answer that is a verdict (429, 5xx, …) goes to the host.
    private func recoverMidChunk(after failure: ConnectorFailure) throws {
        guard let current = chunk else { throw failure }
        chunk = nil
        guard let response = try answer(of: current) else { return }
        guard response.status == 204 || response.status == 409,
            let confirmed = response.header("Upload-Offset").flatMap({ Int64($0) })
        else { throw PutioErrors.failure("upload '\(path)': tus PATCH", response) }
        try resend(from: confirmed, after: failure)
    }

    /// Starts the chunk over from the offset the server holds (`confirmed`, or asked with HEAD),
    /// re-sending the unconfirmed bytes it lacks. Throws when the server holds an offset outside
    /// the bytes in hand, or after `maxResends` tries without progress.
    private func resend(from confirmed: Int64?, after failure: ConnectorFailure) throws {
        chunk?.abort()
        chunk = nil
        var known = confirmed
        var last = failure
        while true {
            resends += 1
            guard resends <= maxResends else { throw last }
            let holds = try known ?? serverOffset()
            known = nil
            let sent = offset + Int64(unconfirmed.count)
            guard holds >= offset && holds <= sent else {
                throw ConnectorFailure(
                    .transient,
                    "upload '\(path)': the server holds \(holds) bytes, outside the \(offset)–\(sent) in hand")
            }
            if holds > offset {
                unconfirmed.removeFirst(Int(holds - offset))
                offset = holds
                resends = 0
                checkpoint()
            }
            if offset == chunkEnd && unconfirmed.isEmpty { return }  // the server has the whole chunk
            let next = patch(length: chunkEnd - offset)
            chunk = next
            do {
                if !unconfirmed.isEmpty { try unconfirmed.withUnsafeBytes { try next.write($0) } }
                return
            } catch let failure as ConnectorFailure where failure.code == .transient {
                next.abort()
                chunk = nil
                last = failure
            }
        }
    }

    /// The offset the server holds (tus HEAD), waiting out a lock a cut-off PATCH leaves for a moment.
    private func serverOffset() throws -> Int64 {
        guard let held = try Self.resume(connector, token, size: size) else {
            throw ConnectorFailure(.transient, "upload '\(path)': the server no longer knows the upload")
        }
        return held.offset
    }

    /// The answer of a PATCH that ended, or nil when its connection broke instead (the chunk was
    /// then started over from the offset the server holds).
    private func answer(of upload: HTTPUpload) throws -> HTTPResponse? {
        do {
            return try upload.finish()
        } catch let broken as ConnectorFailure where broken.code == .transient {
            try resend(from: nil, after: broken)
            return nil
        }
    }

    /// Completes the PATCH in flight; its answer confirms the new offset (and, at the end, the file).
    private func endChunk() throws {
        while let current = chunk {
            chunk = nil
            guard let response = try answer(of: current) else { continue }
            let confirmed = response.header("Upload-Offset").flatMap { Int64($0) }
            let sent = offset + Int64(unconfirmed.count)
            if response.status == 409 {
                // The server holds another offset than the PATCH said: continue from its.
                try resend(from: confirmed, after: PutioErrors.failure("upload '\(path)': tus PATCH", response))
                continue
            }
            guard response.status == 204, let confirmed else {
                throw PutioErrors.failure("upload '\(path)': tus PATCH", response)
            }
            if confirmed < sent {
                // Acknowledged short: the server kept part of the PATCH. The rest goes again.
                try resend(
                    from: confirmed,
                    after: ConnectorFailure(
                        .transient, "upload '\(path)': the server kept \(confirmed) of \(sent) bytes sent"))
                continue
            }
            guard confirmed == sent else {
                throw ConnectorFailure(
                    .transient, "upload '\(path)': the server confirmed \(confirmed) bytes, \(sent) were sent")
            }
            offset = confirmed
            unconfirmed.removeAll(keepingCapacity: true)
            resends = 0
            if let id = response.header("Putio-File-Id").flatMap({ Int64($0) }) {
                complete(id: id, crc: response.header("Putio-File-Crc32"))
            } else if offset < size {
                checkpoint()
            }
        }
    }

    private func complete(id: Int64, crc: String?) {
        let seconds = mtimeNanoseconds.map { $0 >= 0 ? $0 / 1_000_000_000 : ($0 - 999_999_999) / 1_000_000_000 }
        done = ConnectorEntry(
            path: path, isDirectory: false, size: size, mtimeNanoseconds: seconds.map { $0 * 1_000_000_000 },
            id: String(id), hashes: PutioHashes.normalize(crc).map { [.crc32: $0] } ?? [:])
        connector.cache.put(path, PutioCacheEntry(id: id, isFolder: false, size: size))
        connector.cache.noteChild(name, in: parentId)
    }

    /// The writer is released whatever finish's outcome: an upload it fails is kept on the server
    /// only when the host holds a token to resume it (a temporary failure after a checkpoint);
    /// otherwise it is deleted, so nothing is left behind.
    func finish() throws -> ConnectorEntry {
        do {
            return try finishUpload()
        } catch {
            let resumable = (error as? ConnectorFailure)?.code == .transient && handedOut > 0
            if resumable { suspend() } else { abort() }
            throw error
        }
    }

    private func finishUpload() throws -> ConnectorEntry {
        if size == 0 && done == nil && chunk == nil {
            // Zero bytes still take one (empty) PATCH to turn the upload into a file.
            chunkEnd = 0
            chunk = patch(length: 0)
        }
        if let byte = held {
            held = nil
            try withUnsafeBytes(of: byte) { try send($0) }
        }
        try endChunk()
        guard let done else {
            let sent = offset + Int64(unconfirmed.count)
            guard sent == size else {
                throw ConnectorFailure(.invalidArgument, "write '\(path)': \(sent) bytes written, \(size) announced")
            }
            // Every byte reached the server, but not its answer naming the file: a lost answer is
            // the server's temporary failure (the host looks for the file before trying again).
            throw ConnectorFailure(
                .transient,
                "write '\(path)': the server holds all \(size) bytes, but its answer naming the file was lost")
        }
        return done
    }

    /// Stops and deletes the upload on the server: nothing is left behind.
    func abort() {
        guard done == nil else { return }
        chunk?.abort()
        chunk = nil
        var delete = HTTPRequest("DELETE", location, headers: connector.authHeaders + [("Tus-Resumable", "1.0.0")])
        delete.cancellable = false
        // Abort has no caller to hand a failure to, and an upload left behind is the server's
        // storage: a DELETE that met a temporary failure is sent again, briefly.
        for wait in [0.2, 0.5, 1.0, 2.0, 0] {
            let answer = Result { try connector.http.send(delete) }
            let status = (try? answer.get())?.status
            if let status, status < 500 && status != 429 && status != 423 { break }
            guard wait > 0 else { break }
            let asked = (try? answer.get()).flatMap { RetryAfter.milliseconds(from: $0) }.map { Double($0) / 1000 }
            Thread.sleep(forTimeInterval: min(max(wait, asked ?? 0), 2))
        }
        done = ConnectorEntry(path: path, isDirectory: false)  // abort is final
    }

    /// Stops without deleting: the server keeps what it received for a later resume.
    func suspend() {
        guard done == nil else { return }
        chunk?.abort()
        chunk = nil
        done = ConnectorEntry(path: path, isDirectory: false)
    }
}
