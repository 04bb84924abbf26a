import ConnectorKit
import Foundation

/// An upload through an upload session (dropbox.md §3.9), its bytes streamed into each request as
/// the host writes them (nothing held in memory):
/// - a file of at most `chunk_size` bytes goes in one `start` request that closes the session, and
///   its commit waits in the session's batcher to go with others in one `finish_batch_v2`;
/// - a larger file, or one of unknown size, goes chunk by chunk (`start`, then `append_v2` at the
///   offset the server holds) and is committed by `finish`. After each chunk the host gets a
///   resume token; a later run asks the server where the session is (a zero-byte append at the
///   token's offset answers `incorrect_offset` with the real one) and continues from there.
/// The commit carries `client_modified` from the source's mtime; `mode` is `add` (a different file
/// there is a conflict, EXISTS) or, to replace, `overwrite`.
final class DropboxWriter: SuspendableWriter {
    private let c: DropboxConnector
    private let shown: String
    private let size: Int64?
    private let commit: [String: Any]
    private let checkpoint: ((String, Int64) -> Void)?
    private let batched: Bool
    private var enrolled = false
    private var session: String?
    /// Bytes the server holds.
    private var offset: Int64 = 0
    /// The request the bytes are going into, and how many it has taken.
    private var chunk: HTTPUpload?
    private var chunkBytes: Int64 = 0
    /// The access token the request in flight carries (renewed if the server calls it expired).
    private var chunkToken = ""
    private let chunkLimit: Int64
    private(set) var startOffset: Int64 = 0

    init(connector: DropboxConnector, path: String, options: WriteOptions) throws {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "dropbox: the root is a folder") }
        c = connector
        shown = "'\(path)'"
        size = options.size
        chunkLimit = connector.settings.chunkSize
        checkpoint = options.checkpoint
        var commit: [String: Any] = [
            "path": try DropboxPath.api(path), "mode": options.replace ? "overwrite" : "add", "autorename": false,
            "mute": true, "strict_conflict": false,
        ]
        if let mtime = options.mtimeNanoseconds { commit["client_modified"] = DropboxMetadata.time(mtime) }
        self.commit = commit
        batched = options.size.map { $0 <= connector.settings.chunkSize } ?? false
        if batched {
            connector.batcher.enter()
            enrolled = true
        } else if let token = options.resumeToken {
            try resume(token)
        }
    }

    deinit { abort() }

    // MARK: Resuming

    private static let tokenPrefix = "dropbox-v1:"

    private struct Token: Codable {
        var session: String
        var offset: Int64
        var size: Int64?
    }

    private func token() -> String {
        let data = (try? JSONEncoder().encode(Token(session: session ?? "", offset: offset, size: size))) ?? Data()
        return Self.tokenPrefix + data.base64EncodedString()
    }

    /// Continues an earlier run's session at the offset the server holds; starts over when the
    /// session is gone (sessions live a week) or is not this file's.
    private func resume(_ text: String) throws {
        guard text.hasPrefix(Self.tokenPrefix),
            let data = Data(base64Encoded: String(text.dropFirst(Self.tokenPrefix.count))),
            let token = try? JSONDecoder().decode(Token.self, from: data), token.size == size, !token.session.isEmpty
        else { return }
        let probe = try c.http.send(
            HTTPRequest(
                "POST", c.settings.contentURL + "/2/files/upload_session/append_v2",
                headers: try c.contentHeaders(["cursor": ["session_id": token.session, "offset": token.offset]])
                    + [("Content-Type", "application/octet-stream")], body: .bytes([])))
        var held = token.offset
        if !probe.isSuccess {
            let error = probe.json?["error"] as? [String: Any]
            guard probe.status == 409, error?[".tag"] as? String == "incorrect_offset",
                let correct = (error?["correct_offset"] as? NSNumber)?.int64Value, correct <= size ?? .max
            else {
                c.host.log(.info, "dropbox: the interrupted upload of \(shown) cannot be continued; starting over")
                return
            }
            held = correct
        }
        session = token.session
        offset = held
        startOffset = held
        c.host.log(.info, "dropbox: resuming the upload of \(shown) at \(held) bytes")
    }

    // MARK: Bytes

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let sent = offset + chunkBytes
            if let size, sent + Int64(rest.count) > size {
                throw ConnectorFailure(.invalidArgument, "dropbox: more than the \(size) bytes announced for \(shown)")
            }
            if chunk == nil { try openChunk() }
            let room = batched ? rest.count : Int(chunkLimit - chunkBytes)
            let n = min(room, rest.count)
            try chunk!.write(UnsafeRawBufferPointer(rebasing: rest[..<n]))
            chunkBytes += Int64(n)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if !batched && chunkBytes == chunkLimit { try closeChunk() }
        }
    }

    /// Starts the request the next bytes go into: the session's start, or an append at the offset.
    private func openChunk() throws {
        let route: String
        var arg: [String: Any]
        if let session {
            route = "files/upload_session/append_v2"
            arg = ["cursor": ["session_id": session, "offset": offset], "close": false]
        } else {
            route = "files/upload_session/start"
            arg = ["close": batched]
        }
        let length: Int64? = batched ? size : size.map { min(chunkLimit, $0 - offset) }
        let headers = try c.contentHeaders(arg)
        chunkToken = c.credentials.accessToken
        chunk = c.http.openUpload(
            HTTPRequest(
                "POST", c.settings.contentURL + "/2/" + route,
                headers: headers + [("Content-Type", "application/octet-stream")]), length: length)
        chunkBytes = 0
    }

    /// Ends the request in flight; on success the server holds its bytes (and the host gets a token).
    private func closeChunk() throws {
        guard let upload = chunk else { return }
        chunk = nil
        let response = try upload.finish()
        if !response.isSuccess {
            let error = response.json?["error"] as? [String: Any]
            let correct = (error?["correct_offset"] as? NSNumber)?.int64Value
            // The bytes had landed before (an earlier answer lost on its way): nothing to redo.
            guard response.status == 409, error?[".tag"] as? String == "incorrect_offset",
                correct == offset + chunkBytes
            else {
                if response.status == 401 { _ = try? c.credentials.refreshAfterRejection(of: chunkToken) }
                var failure = DropboxErrors.failure("upload \(shown)", response)
                // The next attempt continues from what the server holds (a fresh token, the offset
                // asked again).
                if failure.code == .auth || failure.code == .notFound { failure.code = .transient }
                throw failure
            }
        }
        if session == nil {
            guard let id = response.json?["session_id"] as? String, !id.isEmpty else {
                throw ConnectorFailure(.transient, "dropbox: upload \(shown): the session start gave no session id")
            }
            session = id
        }
        offset += chunkBytes
        chunkBytes = 0
        if !batched, offset > 0 { checkpoint?(token(), offset) }
    }

    // MARK: Commit

    func finish() throws -> ConnectorEntry {
        defer { leaveBatcher() }
        if let size, offset + chunkBytes != size {
            // The request in flight announced the rest: it could only hang waiting for it.
            chunk?.abort()
            chunk = nil
            throw ConnectorFailure(
                .invalidArgument, "dropbox: \(offset + chunkBytes) of the \(size) bytes announced for \(shown)")
        }
        if chunk != nil || session == nil {
            if chunk == nil { try openChunk() }  // an empty file: a start with no bytes
            try closeChunk()
        }
        let entry: [String: Any] = ["cursor": ["session_id": session ?? "", "offset": offset], "commit": commit]
        let metadata =
            batched
            ? try c.batcher.commit(entry) { batch in try c.finishBatch(batch) }
            : try finishSession(entry)
        session = nil
        let path = commit["path"] as? String ?? ""
        c.revisions.put(path, metadata["rev"] as? String)
        guard let landed = DropboxMetadata.make(metadata, path: String(path.dropFirst())) else {
            throw ConnectorFailure(.transient, "dropbox: upload \(shown): the commit answered no file")
        }
        return landed
    }

    /// `upload_session/finish` for a large file (its own commit).
    private func finishSession(_ entry: [String: Any]) throws -> [String: Any] {
        var retried = false
        while true {
            let used = c.credentials.accessToken
            let response = try c.http.send(
                HTTPRequest(
                    "POST", c.settings.contentURL + "/2/files/upload_session/finish",
                    headers: try c.contentHeaders(entry) + [("Content-Type", "application/octet-stream")],
                    body: .bytes([])))
            if response.isSuccess, let json = response.json { return json }
            if response.status == 401, !retried, try c.credentials.refreshAfterRejection(of: used) {
                retried = true
                continue
            }
            var failure = DropboxErrors.failure("upload \(shown)", response)
            let tags = DropboxErrors.tags(in: response.json?["error"])
            if failure.code == .exists && tags.contains("folder") { failure.code = .isADirectory }
            // A session the server no longer finds: a retried finish whose first try had committed.
            if tags.first == "lookup_failed" { failure.code = .transient }
            throw failure
        }
    }

    /// Stops, keeping the session for the token the last chunk handed out.
    func suspend() {
        chunk?.abort()
        chunk = nil
        session = nil
        leaveBatcher()
    }

    /// Nothing to delete: a session that is never committed shows nowhere and expires on its own.
    func abort() {
        chunk?.abort()
        chunk = nil
        session = nil
        leaveBatcher()
    }

    private func leaveBatcher() {
        guard enrolled else { return }
        enrolled = false
        c.batcher.leave()
    }
}

extension DropboxConnector {
    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        try DropboxWriter(connector: self, path: path, options: options)
    }
}
