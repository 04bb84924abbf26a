import ConnectorKit
import Foundation
import PikPakEmulator
import SyncHashes
import Testing

/// The PikPak emulator against what shared/api/pikpak.md says the real API does (§6, "what an
/// emulator must reproduce"), spoken to over HTTP as a client would. The connector's own tests
/// build on this behaviour, so each rule a connector must cope with is pinned here.
@Suite struct PikPakEmulatorTests {
    /// A client session: a captcha token, then sign-in, as rclone does it.
    final class Client {
        let base: String
        let http = HTTPClient()
        let device = "0123456789abcdef0123456789abcdef"
        var captcha = ""
        var access = ""
        var refresh = ""

        init(_ emulator: PikPakEmulator) { base = emulator.baseURL }

        func json(_ method: String, _ path: String, _ body: [String: Any]? = nil, auth: Bool = true) throws
            -> HTTPResponse
        {
            var headers = [("X-Client-Id", PikPakEmulator.clientId), ("X-Device-Id", device)]
            if auth { headers += [("Authorization", "Bearer \(access)"), ("X-Captcha-Token", captcha)] }
            var request = HTTPRequest(method, base + path, headers: headers)
            if let body {
                request.headers.append(("Content-Type", "application/json"))
                request.body = .bytes(Array(try JSONSerialization.data(withJSONObject: body)))
            }
            return try http.send(request)
        }

        func newCaptcha(action: String, meta: [String: Any]? = nil) throws -> HTTPResponse {
            let sign = "1." + String(repeating: "ab", count: 16)
            let response = try json(
                "POST", "/v1/shield/captcha/init",
                [
                    "action": action, "captcha_token": captcha, "client_id": PikPakEmulator.clientId,
                    "device_id": device,
                    "meta": meta ?? ["captcha_sign": sign, "client_version": "2.0.0", "timestamp": "1"],
                ], auth: false)
            if let token = response.json?["captcha_token"] as? String, !token.isEmpty { captcha = token }
            return response
        }

        func signIn(_ user: String, _ password: String) throws -> HTTPResponse {
            _ = try newCaptcha(action: "POST:/v1/auth/signin", meta: ["username": user])
            var request = HTTPRequest(
                "POST", base + "/v1/auth/signin",
                headers: [("X-Captcha-Token", captcha), ("Content-Type", "application/json")])
            request.body = .bytes(
                Array(
                    try JSONSerialization.data(withJSONObject: [
                        "username": user, "password": password, "client_id": PikPakEmulator.clientId,
                    ])))
            let response = try http.send(request)
            if let json = response.json {
                access = json["access_token"] as? String ?? ""
                refresh = json["refresh_token"] as? String ?? ""
            }
            _ = try newCaptcha(action: "GET:/drive/v1/about")
            return response
        }

        func list(_ parent: String = "", filters: String? = nil, limit: Int = 500, token: String = "") throws
            -> [String: Any]
        {
            var query = "parent_id=\(parent)&limit=\(limit)&page_token=\(token)"
            if let filters { query += "&filters=" + FormEncoding.escape(filters) }
            return try json("GET", "/drive/v1/files?" + query).json ?? [:]
        }

        func names(_ parent: String = "", filters: String? = nil) throws -> [String] {
            (try list(parent, filters: filters)["files"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }

        func mkdir(_ name: String, in parent: String = "") throws -> String {
            let response = try json(
                "POST", "/drive/v1/files", ["kind": "drive#folder", "name": name, "parent_id": parent])
            return (response.json?["file"] as? [String: Any])?["id"] as? String ?? ""
        }

        /// Polls a task until it is no longer running.
        func wait(_ task: String) throws -> String {
            for _ in 0..<200 {
                let phase = try json("GET", "/drive/v1/tasks/\(task)").json?["phase"] as? String ?? ""
                if phase != "PHASE_TYPE_RUNNING" { return phase }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return "timeout"
        }
    }

    static func started() throws -> PikPakEmulator {
        let emulator = try PikPakEmulator()
        emulator.addAccount("ann", password: "pw-ann")
        emulator.addAccount("bob", password: "pw-bob")
        try emulator.start()
        return emulator
    }

    static let live = #"{"phase":{"eq":"PHASE_TYPE_COMPLETE"},"trashed":{"eq":false}}"#

    static func gcid(_ bytes: [UInt8]) -> String { MultiHasher.digest(bytes, [.gcid])[.gcid]!.uppercased() }

    @Test func signInNeedsACaptchaTokenAndRefreshTokensRotate() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        let c = Client(emulator)
        // No captcha token: refused with 4002.
        var bare = HTTPRequest(
            "POST", emulator.baseURL + "/v1/auth/signin", headers: [("Content-Type", "application/json")])
        bare.body = .bytes(Array(#"{"username":"ann","password":"pw-ann"}"#.utf8))
        #expect(try c.http.send(bare).json?["error_code"] as? Int == 4002)
        #expect(try c.signIn("ann", "wrong").json?["error"] as? String == "invalid_account_or_password")
        let signed = try c.signIn("ann", "pw-ann")
        #expect(signed.status == 200 && signed.json?["expires_in"] as? Int == 7200)
        // The access token is a JWT whose sub is the user id.
        let payload = c.access.split(separator: ".")[1]
        let padded =
            payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            + String(repeating: "=", count: (4 - payload.count % 4) % 4)
        let claims = try JSONSerialization.jsonObject(with: Data(base64Encoded: padded)!) as? [String: Any]
        #expect(claims?["sub"] as? String == signed.json?["sub"] as? String)
        #expect(try c.json("GET", "/drive/v1/about").status == 200)

        // The refresh grant, as a form: a new pair, and the old refresh token is spent.
        let old = c.refresh
        let renewed = try c.http.send(
            .form(
                "POST", emulator.baseURL + "/v1/auth/token",
                [("grant_type", "refresh_token"), ("refresh_token", old), ("client_id", PikPakEmulator.clientId)]))
        let fresh = renewed.json?["refresh_token"] as? String ?? ""
        #expect(renewed.status == 200 && !fresh.isEmpty && fresh != old)
        let again = try c.http.send(
            .form(
                "POST", emulator.baseURL + "/v1/auth/token", [("grant_type", "refresh_token"), ("refresh_token", old)]))
        #expect(again.status == 400 && again.json?["error_code"] as? Int == 4126)
        // …and as JSON, with the new one.
        var asJSON = HTTPRequest(
            "POST", emulator.baseURL + "/v1/auth/token", headers: [("Content-Type", "application/json")])
        asJSON.body = .bytes(Array(#"{"grant_type":"refresh_token","refresh_token":"\#(fresh)"}"#.utf8))
        #expect(try c.http.send(asJSON).status == 200)
    }

    @Test func driveCallsNeedAValidTokenAndCaptcha() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        emulator.expireAccessTokens(of: "ann")
        let expired = try c.json("GET", "/drive/v1/about")
        #expect(expired.status == 401 && expired.json?["error_code"] as? Int == 16)
        _ = try c.signIn("ann", "pw-ann")
        emulator.setFaults { $0.captchaRejections = 1 }
        let rejected = try c.json("GET", "/drive/v1/about")
        #expect(rejected.json?["error"] as? String == "captcha_invalid" && rejected.json?["error_code"] as? Int == 9)
        #expect(try c.json("GET", "/drive/v1/about").status == 200)
        // Human verification: no token, a URL to show the user.
        emulator.setFaults { $0.captchaNeedsHuman = true }
        let human = try c.newCaptcha(action: "GET:/drive/v1/files")
        #expect((human.json?["url"] as? String)?.isEmpty == false)
        // A revoked session: the refresh grant fails too.
        emulator.revokeSessions(of: "ann")
        #expect(try c.json("GET", "/drive/v1/about").status == 401)
        let refused = try c.http.send(
            .form(
                "POST", emulator.baseURL + "/v1/auth/token",
                [("grant_type", "refresh_token"), ("refresh_token", c.refresh)]))
        #expect(refused.json?["error"] as? String == "invalid_grant")
    }

    @Test func listingsPageAndFilterAndNumbersAreStrings() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        for i in 0..<7 {
            emulator.seed("ann", path: "media/f\(i).bin", bytes: Array(repeating: UInt8(i), count: i * 10))
        }
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        let root = try c.list()["files"] as? [[String: Any]] ?? []
        #expect(
            root.count == 1 && root[0]["kind"] as? String == "drive#folder" && root[0]["parent_id"] as? String == "")
        let media = root[0]["id"] as? String ?? ""
        for limit in [1, 3, 7, 8] {
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try c.list(media, limit: limit, token: token)
                seen += (page["files"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                token = page["next_page_token"] as? String ?? ""
            } while !token.isEmpty
            #expect(seen == (0..<7).map { "f\($0).bin" }, "pages of \(limit)")
        }
        let file = (try c.list(media)["files"] as? [[String: Any]] ?? [])[3]
        #expect(file["size"] as? String == "30" && file["hash"] as? String == Self.gcid(Array(repeating: 3, count: 30)))
        #expect((file["modified_time"] as? String)?.hasSuffix("+08:00") == true)
        // Listings carry no links; GET by id does.
        #expect((file["links"] as? [String: Any])?.isEmpty == true)
        let one = try c.json("GET", "/drive/v1/files/\(file["id"] as? String ?? "")").json ?? [:]
        #expect((one["web_content_link"] as? String)?.contains("expire=") == true)
        let folders = try c.names("", filters: #"{"kind":{"eq":"drive#folder"}}"#)
        #expect(folders == ["media"])
        #expect(try c.names(media, filters: #"{"kind":{"eq":"drive#folder"}}"#).isEmpty)
        let about = try c.json("GET", "/drive/v1/about").json?["quota"] as? [String: Any]
        #expect(about?["usage"] as? String == String((0..<7).reduce(0) { $0 + $1 * 10 }))
    }

    @Test func batchOperationsShowWhenTheirTaskCompletes() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        emulator.taskSeconds = 0.3
        emulator.seed("ann", path: "a/x.txt", bytes: Array("x".utf8))
        emulator.seed("ann", path: "b/x.txt", bytes: Array("other x".utf8))
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        let top = try c.list()["files"] as? [[String: Any]] ?? []
        let (a, b) = (top[0]["id"] as? String ?? "", top[1]["id"] as? String ?? "")
        let x = (try c.list(a)["files"] as? [[String: Any]] ?? [])[0]["id"] as? String ?? ""
        let moved = try c.json("POST", "/drive/v1/files:batchMove", ["ids": [x], "to": ["parent_id": b]])
        let task = moved.json?["task_id"] as? String ?? ""
        #expect(try c.names(a) == ["x.txt"])  // not yet
        #expect(try c.wait(task) == "PHASE_TYPE_COMPLETE")
        #expect(try c.names(a).isEmpty)
        // Moved onto a taken name: numbered.
        #expect(try c.names(b) == ["x.txt", "x(1).txt"])
        // Into its own subtree, or copied into its own folder: refused.
        let intoSelf = try c.json("POST", "/drive/v1/files:batchMove", ["ids": [a], "to": ["parent_id": a]])
        #expect(intoSelf.json?["error"] as? String == "file_move_or_copy_to_cur")
        // Rename onto a taken name: file_duplicated_name; the same name: its own error.
        let second = (try c.list(b)["files"] as? [[String: Any]] ?? [])[1]["id"] as? String ?? ""
        #expect(
            try c.json("PATCH", "/drive/v1/files/\(second)", ["name": "x.txt"]).json?["error"] as? String
                == "file_duplicated_name")
        #expect(try c.json("PATCH", "/drive/v1/files/\(second)", ["name": "y.txt"]).status == 200)
        // Trash: gone from a listing that filters trashed items, still there in one that does not.
        let trash =
            try c.json("POST", "/drive/v1/files:batchTrash", ["ids": [second]]).json?["task_id"] as? String ?? ""
        #expect(try c.wait(trash) == "PHASE_TYPE_COMPLETE")
        #expect(try c.names(b, filters: Self.live) == ["x.txt"])
        #expect(try c.names(b) == ["x.txt", "y.txt"])
        // Copy to another folder, then delete for good.
        let copied = try c.json("POST", "/drive/v1/files:batchCopy", ["ids": [b], "to": ["parent_id": a]])
        #expect(try c.wait(copied.json?["task_id"] as? String ?? "") == "PHASE_TYPE_COMPLETE")
        let copy = (try c.list(a)["files"] as? [[String: Any]] ?? [])[0]["id"] as? String ?? ""
        #expect(try c.names(copy, filters: Self.live) == ["x.txt"])
        let deleted = try c.json("POST", "/drive/v1/files:batchDelete", ["ids": [copy]])
        #expect(try c.wait(deleted.json?["task_id"] as? String ?? "") == "PHASE_TYPE_COMPLETE")
        #expect(try c.names(a).isEmpty)
    }

    /// The whole upload sequence: instant for empty and known content, else single PUT or
    /// multipart to the storage host with the ticket's credentials; bytes that do not match the
    /// announced GCID end in PHASE_TYPE_ERROR.
    @Test func uploadsInstantSingleMultipartAndAWrongHash() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        let folder = try c.mkdir("up")
        func ticket(_ name: String, _ bytes: [UInt8], hash: String? = nil) throws -> [String: Any] {
            try c.json(
                "POST", "/drive/v1/files",
                [
                    "kind": "drive#file", "name": name, "parent_id": folder, "size": bytes.count,
                    "hash": hash ?? Self.gcid(bytes), "upload_type": "UPLOAD_TYPE_RESUMABLE",
                    "resumable": ["provider": "PROVIDER_ALIYUN"],
                ]
            ).json ?? [:]
        }
        func phase(_ t: [String: Any]) -> String { (t["file"] as? [String: Any])?["phase"] as? String ?? "" }
        func storage(_ t: [String: Any], _ method: String, query: String = "", body: [UInt8] = [], auth: Bool = true)
            throws -> HTTPResponse
        {
            let params = (t["resumable"] as? [String: Any])?["params"] as? [String: Any] ?? [:]
            let headers: [(String, String)] =
                auth
                ? [
                    ("Authorization", "AWS4-HMAC-SHA256 Credential=\(params["access_key_id"] as? String ?? "")/x"),
                    ("X-Amz-Security-Token", params["security_token"] as? String ?? ""),
                ] : []
            let url = "http://\(params["endpoint"] as? String ?? "")/\(params["key"] as? String ?? "")" + query
            return try c.http.send(HTTPRequest(method, url, headers: headers, body: .bytes(body)))
        }

        #expect(phase(try ticket("empty", [])) == "PHASE_TYPE_COMPLETE")
        let small = Array("hello world".utf8)
        let first = try ticket("hello.txt", small)
        #expect(phase(first) == "PHASE_TYPE_PENDING")
        #expect(try storage(first, "PUT", body: small, auth: false).status == 403)
        #expect(try storage(first, "PUT", body: small).status == 200)
        // Known content: complete at once, no bytes sent — for another user too.
        #expect(phase(try ticket("again.txt", small)) == "PHASE_TYPE_COMPLETE")
        let bob = Client(emulator)
        _ = try bob.signIn("bob", "pw-bob")
        let bobs = try bob.json(
            "POST", "/drive/v1/files",
            ["kind": "drive#file", "name": "h.txt", "size": "11", "hash": Self.gcid(small)]
        ).json
        #expect((bobs?["file"] as? [String: Any])?["phase"] as? String == "PHASE_TYPE_COMPLETE")
        // A taken name comes back numbered.
        #expect(
            (try ticket("hello.txt", Array("new".utf8))["file"] as? [String: Any])?["name"] as? String == "hello(1).txt"
        )

        // Multipart: three parts (the first two of at least 100 KiB).
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let mp = try ticket("big.bin", big)
        let initiated = try storage(mp, "POST", query: "?uploads").bodyText
        let uploadId = initiated.components(separatedBy: "<UploadId>")[1].components(separatedBy: "</UploadId>")[0]
        var etags: [String] = []
        for (n, range) in [(1, 0..<120_000), (2, 120_000..<240_000), (3, 240_000..<300_000)] {
            let put = try storage(mp, "PUT", query: "?partNumber=\(n)&uploadId=\(uploadId)", body: Array(big[range]))
            etags.append(put.header("ETag") ?? "")
        }
        let complete =
            "<CompleteMultipartUpload>"
            + etags.enumerated().map {
                "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>"
            }
            .joined() + "</CompleteMultipartUpload>"
        #expect(try storage(mp, "POST", query: "?uploadId=\(uploadId)", body: Array(complete.utf8)).status == 200)
        #expect(emulator.contents("ann", path: "up/big.bin") == big)

        // Bytes that are not what the GCID said: the file fails.
        let liar = try ticket("liar.bin", Array("honest".utf8), hash: Self.gcid(Array("truthy".utf8)))
        #expect(try storage(liar, "PUT", body: Array("honest".utf8)).status == 200)
        let id = (liar["file"] as? [String: Any])?["id"] as? String ?? ""
        #expect(try c.json("GET", "/drive/v1/files/\(id)").json?["phase"] as? String == "PHASE_TYPE_ERROR")
        #expect(try c.names(folder, filters: Self.live).sorted() == ["again.txt", "big.bin", "empty", "hello.txt"])
    }

    @Test func downloadLinksExpireAndServeRanges() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        emulator.seed("ann", path: "v.bin", bytes: bytes)
        emulator.seed("ann", path: "empty.bin", bytes: [])
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        let files = try c.list()["files"] as? [[String: Any]] ?? []
        func link(_ i: Int) throws -> String {
            let one = try c.json("GET", "/drive/v1/files/\(files[i]["id"] as? String ?? "")").json ?? [:]
            return ((one["links"] as? [String: Any])?["application/octet-stream"] as? [String: Any])?["url"] as? String
                ?? ""
        }
        let url = try link(0)
        #expect(try c.http.send(HTTPRequest("GET", url)).body == bytes)
        let ranged = try c.http.send(HTTPRequest("GET", url, headers: [("Range", "bytes=100-199")]))
        #expect(ranged.status == 206 && ranged.body == Array(bytes[100..<200]))
        #expect(try c.http.send(HTTPRequest("GET", url, headers: [("Range", "bytes=20000-")])).status == 416)
        #expect(try link(1).isEmpty)  // an empty file has no link
        emulator.downloadLinkLifetime = 0.2
        let short = try link(0)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try c.http.send(HTTPRequest("GET", short)).status == 403)
        // A tampered link is refused too.
        #expect(try c.http.send(HTTPRequest("GET", url.replacingOccurrences(of: "sig=", with: "sig=x"))).status == 403)
    }

    @Test func offlineDownloadsLandWhenTheTaskCompletes() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        let folder = try c.mkdir("Downloads")
        let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Show.S01E01.mkv"
        let started = try c.json(
            "POST", "/drive/v1/files",
            ["kind": "drive#file", "upload_type": "UPLOAD_TYPE_URL", "url": ["url": magnet], "parent_id": folder])
        let task = (started.json?["task"] as? [String: Any])?["id"] as? String ?? ""
        #expect(try c.wait(task) == "PHASE_TYPE_COMPLETE")
        let done = try c.json("GET", "/drive/v1/tasks/\(task)").json ?? [:]
        #expect(done["file_name"] as? String == "Show.S01E01.mkv")
        #expect(emulator.contents("ann", path: "Downloads/Show.S01E01.mkv")?.isEmpty == false)
    }

    @Test func faultsAreThereWhenSwitchedOn() throws {
        let emulator = try Self.started()
        defer { emulator.stop() }
        let c = Client(emulator)
        _ = try c.signIn("ann", "pw-ann")
        emulator.setFaults {
            $0.rateLimited = 1
            $0.retryAfter = 3
        }
        let limited = try c.json("GET", "/drive/v1/about")
        #expect(limited.status == 429 && limited.header("Retry-After") == "3")
        emulator.setFaults {
            $0.rateLimited = 1
            $0.retryAfter = nil
        }
        let bare = try c.json("GET", "/drive/v1/about")
        #expect(bare.status == 429 && bare.header("Retry-After") == nil)
        emulator.setFaults { $0.tooFrequent = 1 }
        #expect(try c.json("GET", "/drive/v1/about").json?["error_code"] as? Int == 10)
        emulator.setFaults { $0.serverErrors = 1 }
        #expect(try c.json("GET", "/drive/v1/about").status == 503)
        // libcurl sends a request again, once, when a reused connection closes before any answer;
        // two hang-ups in a row reach the client.
        emulator.setFaults { $0.droppedRequests = 2 }
        #expect(throws: (any Error).self) { try c.json("GET", "/drive/v1/about") }
        #expect(try c.json("GET", "/drive/v1/about").status == 200)
        #expect((emulator.requestStats["drive/about"] ?? 0) >= 6)
    }
}
