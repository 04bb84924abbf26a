import ConnectorKit
import DropboxEmulator
import Foundation
import SyncHashes
import Testing

/// The Dropbox emulator against what shared/api/dropbox.md says the real API does (§6, "what an
/// emulator must reproduce"), spoken to over HTTP as a client would.
@Suite struct DropboxEmulatorTests {
    final class Client {
        let base: String
        let http = HTTPClient()
        var token: String
        var root: String?

        init(_ emulator: DropboxEmulator, account: String) {
            base = emulator.baseURL
            token = emulator.issueTokens(for: account).access
        }

        var auth: [(String, String)] {
            [("Authorization", "Bearer \(token)")] + (root.map { [("Dropbox-API-Path-Root", $0)] } ?? [])
        }

        func rpc(_ route: String, _ arg: [String: Any]?) throws -> HTTPResponse {
            var request = HTTPRequest("POST", base + "/2/" + route, headers: auth)
            if let arg {
                request.headers.append(("Content-Type", "application/json"))
                request.body = .bytes(Array(try JSONSerialization.data(withJSONObject: arg)))
            }
            return try http.send(request)
        }

        /// An upload or download route: the argument in `Dropbox-API-Arg`, written header-safe.
        func content(_ route: String, _ arg: [String: Any], body: [UInt8] = [], headers: [(String, String)] = [])
            throws -> HTTPResponse
        {
            let json = String(decoding: try JSONSerialization.data(withJSONObject: arg), as: UTF8.self)
            var safe = ""
            for unit in json.utf16 {
                safe += unit < 0x7F ? String(UnicodeScalar(unit)!) : String(format: "\\u%04x", unit)
            }
            var request = HTTPRequest(
                "POST", base + "/2/" + route,
                headers: auth + headers + [("Dropbox-API-Arg", safe), ("Content-Type", "application/octet-stream")])
            request.body = .bytes(body)
            return try http.send(request)
        }

        func names(_ path: String) throws -> [String] {
            let page = try rpc("files/list_folder", ["path": path]).json ?? [:]
            return (page["entries"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
    }

    static func started() throws -> DropboxEmulator {
        let emulator = try DropboxEmulator()
        emulator.addAccount("ann")
        emulator.addAccount("bob", team: true)
        try emulator.start()
        return emulator
    }

    static func contentHash(_ bytes: [UInt8]) -> String { MultiHasher.digest(bytes, [.dropbox])[.dropbox]! }

    @Test func namesAreCaseInsensitiveCasePreservingAndRefusedWhereDropboxRefusesThem() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        let up = try c.content(
            "files/upload",
            ["path": "/Films/Café Ünïcode.MKV", "mode": "add", "client_modified": "2024-01-02T03:04:05Z"],
            body: Array("movie".utf8))
        #expect(up.status == 200, "\(up.bodyText)")
        let meta = up.json ?? [:]
        #expect(meta["path_display"] as? String == "/Films/Café Ünïcode.MKV")
        #expect(meta["path_lower"] as? String == "/films/café ünïcode.mkv")
        #expect(meta["content_hash"] as? String == Self.contentHash(Array("movie".utf8)))
        #expect(meta["client_modified"] as? String == "2024-01-02T03:04:05Z")
        // Any case finds it; another case is the same name (a conflict, not a second file).
        let found = try c.rpc("files/get_metadata", ["path": "/FILMS/café ünïcode.mkv"])
        #expect(found.status == 200 && found.json?[".tag"] as? String == "file")
        let clash = try c.content("files/upload", ["path": "/films/CAFÉ ÜNÏCODE.mkv"], body: Array("other".utf8))
        #expect(clash.status == 409)
        #expect(
            ((clash.json?["error"] as? [String: Any])?["reason"] as? [String: Any])?[".tag"] as? String == "conflict")
        // The same bytes again is no conflict and writes nothing.
        let same = try c.content("files/upload", ["path": "/films/CAFÉ ÜNÏCODE.mkv"], body: Array("movie".utf8))
        #expect(same.status == 200 && same.json?["rev"] as? String == meta["rev"] as? String)
        for bad in ["/x/desktop.ini", "/x/trailing ", "/x/back\\slash"] {
            let refused = try c.content("files/upload", ["path": bad], body: [1])
            #expect(refused.status == 409, "\(bad): \(refused.status)")
        }
        let notFound = try c.rpc("files/get_metadata", ["path": "/nope"])
        #expect(notFound.status == 409 && notFound.bodyText.contains("path/not_found"))
        let download = try c.content(
            "files/download", ["path": "/films/café ünïcode.mkv"], headers: [("Range", "bytes=1-3")])
        #expect(download.status == 206 && download.body == Array("ovi".utf8))
        let result = download.header("Dropbox-API-Result") ?? ""
        #expect(result.allSatisfy(\.isASCII) && result.contains("\\u00e9"), "\(result)")
    }

    @Test func uploadSessionsTrackOffsetsAndBatchCommitsNeedClosedSessions() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        let start = try c.content("files/upload_session/start", ["close": false], body: Array("abc".utf8))
        let session = try #require(start.json?["session_id"] as? String)
        // A wrong offset is refused with the right one.
        let wrong = try c.content(
            "files/upload_session/append_v2", ["cursor": ["session_id": session, "offset": 1]], body: Array("x".utf8))
        #expect(wrong.status == 409)
        #expect((wrong.json?["error"] as? [String: Any])?["correct_offset"] as? Int == 3, "\(wrong.bodyText)")
        let append = try c.content(
            "files/upload_session/append_v2", ["cursor": ["session_id": session, "offset": 3], "close": true],
            body: Array("def".utf8))
        #expect(append.status == 200)
        // A second, still open, session: the batch commits the closed one and refuses the other.
        let open = try c.content("files/upload_session/start", ["close": false], body: Array("zz".utf8))
        let other = try #require(open.json?["session_id"] as? String)
        let batch = try c.rpc(
            "files/upload_session/finish_batch_v2",
            [
                "entries": [
                    ["cursor": ["session_id": session, "offset": 6], "commit": ["path": "/a/one.txt"]],
                    ["cursor": ["session_id": other, "offset": 2], "commit": ["path": "/a/two.txt"]],
                ]
            ])
        let entries = batch.json?["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == 2)
        #expect(entries.first?[".tag"] as? String == "success" && entries.first?["size"] as? Int == 6)
        #expect(entries.last?[".tag"] as? String == "failure" && "\(entries.last ?? [:])".contains("not_closed"))
        #expect(e.contents("ann", path: "/A/ONE.txt") == Array("abcdef".utf8))
        // finish with trailing bytes, and a session that is gone.
        let finish = try c.content(
            "files/upload_session/finish",
            ["cursor": ["session_id": other, "offset": 2], "commit": ["path": "/a/two.txt", "mode": "overwrite"]],
            body: Array("!".utf8))
        #expect(finish.status == 200 && finish.json?["size"] as? Int == 3, "\(finish.bodyText)")
        let gone = try c.content(
            "files/upload_session/append_v2", ["cursor": ["session_id": other, "offset": 3]], body: [1])
        #expect(gone.status == 409 && gone.bodyText.contains("not_found"))
    }

    @Test func listingsPageAndCursorsLaterReturnChanges() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        for i in 0..<5 { e.seed("ann", path: "/L/f\(i).txt", bytes: [UInt8(i)]) }
        e.seed("ann", path: "/L/sub/deep.txt", bytes: [9])
        var page = try c.rpc("files/list_folder", ["path": "/l", "limit": 2]).json ?? [:]
        var names: [String] = []
        while true {
            names += (page["entries"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            guard page["has_more"] as? Bool == true else { break }
            page = try c.rpc("files/list_folder/continue", ["cursor": page["cursor"] as? String ?? ""]).json ?? [:]
        }
        #expect(names == ["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt", "sub"])
        let cursor = try #require(page["cursor"] as? String)
        _ = try c.rpc("files/delete_v2", ["path": "/L/f1.txt"])
        e.seed("ann", path: "/L/new.txt", bytes: [7])
        let changes =
            try c.rpc("files/list_folder/continue", ["cursor": cursor]).json?["entries"] as? [[String: Any]] ?? []
        #expect(changes.map { "\($0[".tag"] ?? "")/\($0["name"] ?? "")" } == ["deleted/f1.txt", "file/new.txt"])
        let recursive = try c.rpc("files/list_folder", ["path": "/L", "recursive": true]).json ?? [:]
        #expect(
            (recursive["entries"] as? [[String: Any]] ?? []).contains {
                $0["path_display"] as? String == "/L/sub/deep.txt"
            })
        let reset = try c.rpc("files/list_folder/continue", ["cursor": "not-a-cursor"])
        #expect(reset.status == 409 && reset.bodyText.contains("reset"))
    }

    @Test func tokensExpireRefreshAndTeamSpacesNeedThePathRoot() throws {
        let e = try Self.started()
        defer { e.stop() }
        e.registerApp(key: "app-key")
        let c = Client(e, account: "bob")
        e.expireAccessTokens(of: "bob")
        let expired = try c.rpc("files/list_folder", ["path": ""])
        #expect(expired.status == 401 && expired.bodyText.contains("expired_access_token"))
        let refresh = e.issueTokens(for: "bob").refresh
        let renewed = try c.http.send(
            HTTPRequest.form(
                "POST", e.baseURL + "/oauth2/token",
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "app-key")]))
        #expect(renewed.status == 200 && renewed.json?["refresh_token"] == nil, "\(renewed.bodyText)")
        c.token = renewed.json?["access_token"] as? String ?? ""
        let account = try c.rpc("users/get_current_account", nil).json ?? [:]
        let root = account["root_info"] as? [String: Any] ?? [:]
        #expect(root[".tag"] as? String == "team")
        e.seed("bob", path: "/Team Shared/plan.txt", bytes: [1], team: true)
        #expect(try c.names("").isEmpty)  // the home space
        c.root = #"{".tag":"namespace_id","namespace_id":"\#(root["root_namespace_id"] as? String ?? "")"}"#
        #expect(try c.names("") == ["Team Shared"])
        c.root = #"{".tag":"namespace_id","namespace_id":"12345"}"#
        #expect(try c.rpc("files/list_folder", ["path": ""]).status == 422)
        e.revokeGrants(of: "bob")
        c.root = nil
        #expect(try c.rpc("files/list_folder", ["path": ""]).status == 401)
    }

    @Test func faultsAreThereWhenSwitchedOn() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        e.setFaults {
            $0.rateLimited = 1
            $0.retryAfter = 3
        }
        let limited = try c.rpc("files/list_folder", ["path": ""])
        #expect(limited.status == 429 && limited.header("Retry-After") == "3")
        #expect((limited.json?["error"] as? [String: Any])?["retry_after"] as? Int == 3)
        e.setFaults { $0.writeLocked = 1 }
        let locked = try c.rpc("files/create_folder_v2", ["path": "/x"])
        #expect(locked.status == 429 && locked.bodyText.contains("too_many_write_operations"))
        e.setFaults {
            $0.rateLimited = 1
            $0.plainTextRateLimit = true
            $0.retryAfterAsDate = true
        }
        let plain = try c.rpc("files/list_folder", ["path": ""])
        #expect(plain.status == 429 && plain.json == nil && (plain.header("Retry-After") ?? "").hasSuffix("GMT"))
        // A lost append reply: the bytes are in, the client learns it from the offset.
        let start = try c.content("files/upload_session/start", [:], body: [1, 2])
        let session = start.json?["session_id"] as? String ?? ""
        e.setFaults { $0.lostAppendReplies = 1 }
        // The connection closes without an answer (libcurl may send the request again on a new
        // one, which then finds the offset moved on).
        let lost = try? c.content(
            "files/upload_session/append_v2", ["cursor": ["session_id": session, "offset": 2]], body: [3])
        #expect(lost == nil || lost?.status == 409, "\(lost?.bodyText ?? "")")
        let again = try c.content(
            "files/upload_session/append_v2", ["cursor": ["session_id": session, "offset": 2]], body: [3])
        #expect((again.json?["error"] as? [String: Any])?["correct_offset"] as? Int == 3)
    }
}
