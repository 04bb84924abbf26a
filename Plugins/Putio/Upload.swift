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
final class PutioTusUpload: SuspendableWriter {
    let connector: PutioConnector
    let path: String
    let parentId: Int64
    let name: String
    let size: Int64
    let mtimeNanoseconds: Int64?
    let location: String
    private(set) var startOffset: Int64 = 0
    private var offset: Int64 = 0
    private var chunk: HTTPUpload?
    private var chunkLeft: Int64 = 0
    private var chunkLeftAtOpen: Int64 = 0
    /// The file's last byte, kept until `finish`.
    private var held: UInt8?
    private var done: ConnectorEntry?
    private let checkpoint: ((String, Int64) -> Void)?

    init(connector: PutioConnector, path: String, parentId: Int64, name: String, size: Int64, options: WriteOptions)
        throws
    {
        self.connector = connector
        self.path = path
        self.parentId = parentId
        self.name = name
        self.size = size
        mtimeNanoseconds = options.mtimeNanoseconds
        checkpoint = options.checkpoint
        if let resumed = try Self.resume(connector, options.resumeToken, size: size) {
            location = resumed.location
            offset = resumed.offset
            startOffset = resumed.offset
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
            if chunk == nil {
                let left = size - offset
                guard left > 0 else {
                    throw ConnectorFailure(.invalidArgument, "write '\(path)': more bytes than the \(size) announced")
                }
                chunkLeft = min(connector.chunkSize, left)
                chunkLeftAtOpen = chunkLeft
                chunk = patch(length: chunkLeft)
            }
            var n = Int(min(Int64(rest.count), chunkLeft))
            let last = offset + (chunkLeftAtOpen - chunkLeft) + Int64(n) == size
            if last {
                // The file's final byte is held back until finish(): the server completes the file
                // when it arrives, and an abort before then must leave nothing behind.
                held = rest[n - 1]
                n -= 1
            }
            if n > 0 { try chunk!.write(UnsafeRawBufferPointer(rebasing: rest.prefix(n))) }
            chunkLeft -= Int64(n) + (last ? 1 : 0)
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(n + (last ? 1 : 0)))
            if chunkLeft == 0 && !last { try endChunk() }
        }
    }

    /// Completes the PATCH in flight; its answer confirms the new offset (and, at the end, the file).
    private func endChunk() throws {
        guard let current = chunk else { return }
        chunk = nil
        let response = try current.finish()
        guard response.status == 204, let confirmed = response.header("Upload-Offset").flatMap({ Int64($0) }) else {
            // 409: the server holds another offset than ours; the next attempt resumes from its.
            throw PutioErrors.failure("upload '\(path)': tus PATCH", response)
        }
        offset = confirmed
        if let id = response.header("Putio-File-Id").flatMap({ Int64($0) }) {
            let crc = PutioHashes.normalize(response.header("Putio-File-Crc32"))
            let seconds = mtimeNanoseconds.map { $0 >= 0 ? $0 / 1_000_000_000 : ($0 - 999_999_999) / 1_000_000_000 }
            done = ConnectorEntry(
                path: path, isDirectory: false, size: size, mtimeNanoseconds: seconds.map { $0 * 1_000_000_000 },
                id: String(id), hashes: crc.map { [.crc32: $0] } ?? [:])
            connector.cache.put(path, PutioCacheEntry(id: id, isFolder: false, size: size))
            connector.cache.noteChild(name, in: parentId)
        } else if offset < size {
            checkpoint?(token, offset)
        }
    }

    func finish() throws -> ConnectorEntry {
        if size == 0 && done == nil && chunk == nil {
            // Zero bytes still take one (empty) PATCH to turn the upload into a file.
            chunk = patch(length: 0)
        }
        if let byte = held {
            held = nil
            try withUnsafeBytes(of: byte) { try chunk?.write($0) }
        }
        try endChunk()
        guard let done else {
            throw ConnectorFailure(.invalidArgument, "write '\(path)': \(offset) bytes written, \(size) announced")
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
        _ = try? connector.http.send(delete)
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
