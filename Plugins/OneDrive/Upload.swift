import ConnectorKit
import Foundation

/// An upload (onedrive.md §3.9–3.10). A file with bytes goes through an upload session created with
/// the source's times (`fileSystemInfo`, so no later PATCH makes a version) and the conflict
/// behaviour (`replace` to replace, else `fail`); its fragments, `chunk_size` each (a multiple of
/// 320 KiB), stream to the session's own URL without the bearer token as the host writes them.
/// After each fragment the host gets a resume token; a later run asks the session what it holds
/// (`nextExpectedRanges`) and continues there, or starts a new one when it has expired. The last
/// fragment's answer is the file. An empty file, which a session cannot carry, is one PUT and a
/// PATCH of its times.
final class OneDriveWriter: SuspendableWriter {
    private let c: OneDriveConnector
    private let path: String
    private let shown: String
    private let size: Int64
    private let replace: Bool
    private let times: [String: String]?
    private let checkpoint: ((String, Int64) -> Void)?
    private var uploadURL: String?
    /// Bytes the session holds.
    private var offset: Int64 = 0
    private var fragment: HTTPUpload?
    private var fragmentBytes: Int64 = 0
    private var fragmentLength: Int64 = 0
    /// The file's last byte, held back until finish: the session commits the file when its last
    /// byte arrives, and a write that is aborted instead must leave nothing.
    private var lastByte: UInt8?
    /// The file, once the last fragment made it.
    private var landed: [String: Any]?
    private(set) var startOffset: Int64 = 0

    init(connector: OneDriveConnector, path: String, options: WriteOptions) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "onedrive: the root is a folder") }
        guard let size = options.size else {
            throw ConnectorFailure(.unsupported, "onedrive: uploads need the size first (every fragment states it)")
        }
        c = connector
        self.path = path
        shown = "'\(path)'"
        self.size = size
        replace = options.replace
        checkpoint = options.checkpoint
        times = options.mtimeNanoseconds.map { ["lastModifiedDateTime": OneDriveConnector.time($0)] }
        // Nothing is looked up first: a missing folder answers 404 (made, then tried again), a
        // name taken answers 409 (`fail`), which says what is there (`conflict`).
        guard size > 0 else { return }
        if let token = options.resumeToken, try resume(token) { return }
        try createSession()
    }

    deinit { abort() }

    private static let tokenPrefix = "onedrive-v1:"

    private struct Token: Codable {
        var url: String
        var size: Int64
    }

    private func createSession() throws {
        var item: [String: Any] = ["@microsoft.graph.conflictBehavior": replace ? "replace" : "fail"]
        if let times { item["fileSystemInfo"] = times }
        let url = try c.address(path, "createUploadSession")
        var response = try c.call("POST", url, json: ["item": item], allowed: [404, 409], what: "upload \(shown)")
        if response.status == 404 {
            try c.mkdir(OneDrivePath.split(path).parent)
            response = try c.call("POST", url, json: ["item": item], allowed: [409], what: "upload \(shown)")
        }
        if response.status == 409 { throw try conflict() }
        let answer = try c.json(response, "upload \(shown)")
        guard let url = answer["uploadUrl"] as? String, !url.isEmpty else {
            throw ConnectorFailure(.transient, "onedrive: upload \(shown): the session has no upload address")
        }
        uploadURL = url
        offset = 0
    }

    /// Continues an earlier run's session where it is; false when it is gone (a new one starts).
    private func resume(_ text: String) throws -> Bool {
        guard text.hasPrefix(Self.tokenPrefix),
            let data = Data(base64Encoded: String(text.dropFirst(Self.tokenPrefix.count))),
            let token = try? JSONDecoder().decode(Token.self, from: data), token.size == size,
            let held = try status(token.url), held <= size
        else {
            c.host.log(.info, "onedrive: the interrupted upload of \(shown) cannot be continued; starting over")
            return false
        }
        uploadURL = token.url
        offset = held
        startOffset = held
        c.host.log(.info, "onedrive: resuming the upload of \(shown) at \(held) of \(size) bytes")
        return true
    }

    /// What a session holds (the start of its first expected range), nil when it is gone.
    private func status(_ url: String) throws -> Int64? {
        let response = try c.http.send(HTTPRequest("GET", url))
        guard response.isSuccess else {
            if response.status == 404 { return nil }
            throw OneDriveErrors.failure("upload \(shown)", response)
        }
        let ranges = response.json?["nextExpectedRanges"] as? [String] ?? []
        guard let first = ranges.first, let start = Int64(first.split(separator: "-").first ?? "") else {
            return size
        }
        return start
    }

    private var token: String {
        let data = (try? JSONEncoder().encode(Token(url: uploadURL ?? "", size: size))) ?? Data()
        return Self.tokenPrefix + data.base64EncodedString()
    }

    // MARK: Bytes

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            guard offset + fragmentBytes + Int64(rest.count) <= size, let url = uploadURL else {
                throw ConnectorFailure(.invalidArgument, "onedrive: more than the \(size) bytes announced for \(shown)")
            }
            if fragment == nil {
                fragmentLength = min(c.settings.chunkSize, size - offset)
                fragmentBytes = 0
                var request = HTTPRequest(
                    "PUT", url, headers: [("Content-Range", "bytes \(offset)-\(offset + fragmentLength - 1)/\(size)")])
                request.followRedirects = false
                fragment = c.http.openUpload(request, length: fragmentLength)
            }
            let n = Int(min(Int64(rest.count), fragmentLength - fragmentBytes))
            let final = offset + fragmentBytes + Int64(n) == size
            let sent = final ? n - 1 : n
            if sent > 0 { try fragment!.write(UnsafeRawBufferPointer(rebasing: rest[..<sent])) }
            if final { lastByte = rest[n - 1] }
            fragmentBytes += Int64(n)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if fragmentBytes == fragmentLength && !final { try closeFragment() }
        }
    }

    /// Ends the fragment in flight: the session holds its bytes (and the host gets a token), or
    /// the last one made the file.
    private func closeFragment() throws {
        guard let upload = fragment else { return }
        fragment = nil
        let response = try upload.finish()
        switch response.status {
        case 200, 201:
            offset += fragmentBytes
            landed = try c.json(response, "upload \(shown)")
        case 202:
            offset += fragmentBytes
            checkpoint?(token, offset)
        case 416:
            // Already there (an answer lost on its way): the session says how far it is.
            guard let url = uploadURL, let held = try status(url), held == offset + fragmentBytes else {
                throw ConnectorFailure(.transient, "onedrive: upload \(shown): the session holds other bytes than sent")
            }
            offset = held
        case 409:
            throw try conflict()
        case 404:
            // The session expired midway: the next attempt asks it again, finds it gone and starts
            // a new one.
            throw ConnectorFailure(.transient, "onedrive: upload \(shown): the upload session expired")
        default:
            throw OneDriveErrors.failure("upload \(shown)", response)
        }
        fragmentBytes = 0
    }

    // MARK: Commit

    func finish() throws -> ConnectorEntry {
        if offset + fragmentBytes != size {
            fragment?.abort()
            fragment = nil
            throw ConnectorFailure(
                .invalidArgument, "onedrive: \(offset + fragmentBytes) of the \(size) bytes announced for \(shown)")
        }
        let item: [String: Any]
        if size == 0 {
            item = try putEmpty()
        } else {
            if let byte = lastByte, let upload = fragment {
                try withUnsafeBytes(of: byte) { try upload.write($0) }
                lastByte = nil
            }
            try closeFragment()
            guard let made = landed else {
                throw ConnectorFailure(.transient, "onedrive: upload \(shown): the session made no file")
            }
            item = made
        }
        uploadURL = nil
        let name = item["name"] as? String ?? OneDrivePath.split(path).name
        return OneDriveConnector.entry(item, path: OneDrivePath.join(OneDrivePath.split(path).parent, name))
    }

    /// What a 409 meant: a folder at the path, or a file where none was to be replaced.
    private func conflict() throws -> ConnectorFailure {
        if try c.lookup(path)?["folder"] != nil {
            return ConnectorFailure(.isADirectory, "onedrive: \(shown) is a folder")
        }
        return ConnectorFailure(.exists, "onedrive: \(shown) already exists")
    }

    private func putEmpty() throws -> [String: Any] {
        let behaviour = replace ? "replace" : "fail"
        let url = try c.address(path, "content") + "?@microsoft.graph.conflictBehavior=\(behaviour)"
        var response = try c.call("PUT", url, body: [], allowed: [404, 409], what: "upload \(shown)")
        if response.status == 404 {
            try c.mkdir(OneDrivePath.split(path).parent)
            response = try c.call("PUT", url, body: [], allowed: [409], what: "upload \(shown)")
        }
        if response.status == 409 { throw try conflict() }
        var item = try c.json(response, "upload \(shown)")
        if let times, let id = item["id"] as? String {
            item = try c.json(
                try c.call("PATCH", c.item(id), json: ["fileSystemInfo": times], what: "set the time of \(shown)"),
                "upload \(shown)")
        }
        return item
    }

    /// Stops, keeping the session for the token the last fragment handed out.
    func suspend() {
        fragment?.abort()
        fragment = nil
        uploadURL = nil
    }

    /// Cancels the session (nothing of it is visible anyway).
    func abort() {
        fragment?.abort()
        fragment = nil
        guard let url = uploadURL else { return }
        uploadURL = nil
        var request = HTTPRequest("DELETE", url)
        request.cancellable = false
        _ = try? c.http.send(request)
    }
}

extension OneDriveConnector {
    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try OneDriveWriter(connector: self, path: path, options: options)
    }
}
