import ConnectorKit
import Foundation
import OneDriveEmulator
import SyncHashes
import Testing

/// The OneDrive emulator against what shared/api/onedrive.md says Graph does (§6, "what an emulator
/// must reproduce"), spoken to over HTTP as a client would.
@Suite struct OneDriveEmulatorTests {
    final class Client {
        let base: String
        let http = HTTPClient()
        var token: String

        init(_ e: OneDriveEmulator, account: String) {
            base = e.baseURL + "/v1.0/me/drive"
            token = e.issueTokens(for: account).access
        }

        func call(
            _ method: String, _ path: String, json: [String: Any]? = nil, body: [UInt8]? = nil,
            headers: [(String, String)] = [], auth: Bool = true, absolute: Bool = false
        ) throws -> HTTPResponse {
            var request = HTTPRequest(
                method, absolute ? path : base + path,
                headers: (auth ? [("Authorization", "Bearer \(token)")] : []) + headers)
            if let json {
                request.headers.append(("Content-Type", "application/json"))
                request.body = .bytes(Array(try JSONSerialization.data(withJSONObject: json)))
            } else if let body {
                request.body = .bytes(body)
            }
            request.followRedirects = false
            return try http.send(request)
        }

        func names(_ path: String) throws -> [String] {
            (try call("GET", path).json?["value"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
    }

    static func started() throws -> OneDriveEmulator {
        let e = try OneDriveEmulator()
        e.addAccount("ann")
        try e.start()
        return e
    }

    static func quickXor(_ bytes: [UInt8]) -> String {
        let hex = MultiHasher.digest(bytes, [.quickxor])[.quickxor]!
        var data = Data()
        var i = hex.startIndex
        while i < hex.endIndex {
            let next = hex.index(i, offsetBy: 2)
            data.append(UInt8(hex[i..<next], radix: 16)!)
            i = next
        }
        return data.base64EncodedString()
    }

    @Test func itemsByPathAndIdCaseInsensitiveWithNameRules() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        let folder = try c.call(
            "POST", "/root/children",
            json: ["name": "Films", "folder": [:], "@microsoft.graph.conflictBehavior": "fail"])
        #expect(folder.status == 201, "\(folder.bodyText)")
        let folderID = try #require(folder.json?["id"] as? String)
        let again = try c.call("POST", "/root/children", json: ["name": "films", "folder": [:]])
        #expect(again.status == 409 && again.bodyText.contains("nameAlreadyExists"))
        let bytes = Array("movie bytes".utf8)
        let put = try c.call("PUT", "/items/\(folderID):/Movie.mkv:/content", body: bytes)
        #expect(put.status == 201, "\(put.bodyText)")
        let item = put.json ?? [:]
        #expect(
            ((item["file"] as? [String: Any])?["hashes"] as? [String: Any])?["quickXorHash"] as? String
                == Self.quickXor(bytes))
        #expect((item["parentReference"] as? [String: Any])?["path"] as? String == "/drive/root:/Films")
        let byPath = try c.call("GET", "/root:/FILMS/movie.MKV")
        #expect(byPath.status == 200 && byPath.json?["id"] as? String == item["id"] as? String)
        #expect(try c.call("GET", "/root:/nope").status == 404)
        for bad in ["a:b.mkv", "CON.srt", "name.", " lead", "~$x.docx"] {
            let refused = try c.call(
                "PUT", "/root:/\(bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!):/content", body: [1]
            )
            #expect(refused.status == 400 && refused.bodyText.contains("invalidRequest"), "\(bad): \(refused.status)")
        }
        let deep = String(repeating: "d", count: 200) + "/" + String(repeating: "e", count: 200)
        let long = try c.call("PUT", "/root:/\(deep)x:/content", body: [1])
        #expect(long.status == 400 || long.status == 404)
        // Download: a 302 to a URL that needs no token and honours Range.
        let redirect = try c.call("GET", "/root:/Films/Movie.mkv:/content")
        #expect(redirect.status == 302)
        let location = try #require(redirect.header("Location"))
        let ranged = try c.call("GET", location, headers: [("Range", "bytes=6-10")], auth: false, absolute: true)
        #expect(ranged.status == 206 && ranged.body == Array("bytes".utf8))
    }

    @Test func childrenPageWithAbsoluteNextLinks() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        for i in 0..<7 { e.seed("ann", path: "P/f\(i)", bytes: [UInt8(i)]) }
        var page = try c.call("GET", "/root:/P:/children?$top=3").json ?? [:]
        var names: [String] = []
        while true {
            names += (page["value"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            guard let next = page["@odata.nextLink"] as? String else { break }
            #expect(next.hasPrefix("http://"))
            page = try c.call("GET", next, absolute: true).json ?? [:]
        }
        #expect(names == (0..<7).map { "f\($0)" })
    }

    @Test func uploadSessionsTakeOrderedFragmentsOf320KiB() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        let data = (0..<800_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let created = try c.call(
            "POST", "/root:/up/big.bin:/createUploadSession",
            json: ["item": ["fileSystemInfo": ["lastModifiedDateTime": "2021-02-03T04:05:06Z"]]])
        #expect(created.status == 404)  // the folder must exist first
        _ = try c.call("POST", "/root/children", json: ["name": "up", "folder": [:]])
        let session = try c.call(
            "POST", "/root:/up/big.bin:/createUploadSession",
            json: [
                "item": [
                    "@microsoft.graph.conflictBehavior": "replace",
                    "fileSystemInfo": ["lastModifiedDateTime": "2021-02-03T04:05:06Z"],
                ]
            ])
        let url = try #require(session.json?["uploadUrl"] as? String)
        func fragment(_ range: Range<Int>, auth: Bool = false) throws -> HTTPResponse {
            try c.call(
                "PUT", url, body: Array(data[range]),
                headers: [("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(data.count)")],
                auth: auth, absolute: true)
        }
        #expect(try fragment(0..<327_680, auth: true).status == 401)  // no token at the upload URL
        #expect(try fragment(0..<100_000).status == 400)  // not a multiple of 320 KiB
        let first = try fragment(0..<327_680)
        #expect(first.status == 202 && (first.json?["nextExpectedRanges"] as? [String]) == ["327680-"])
        #expect(try fragment(0..<327_680).status == 416)  // already there
        #expect(try fragment(655_360..<800_000).status == 416)  // out of order
        let status = try c.call("GET", url, auth: false, absolute: true)
        #expect((status.json?["nextExpectedRanges"] as? [String]) == ["327680-"])
        #expect(try fragment(327_680..<655_360).status == 202)
        let last = try fragment(655_360..<800_000)
        #expect(last.status == 201, "\(last.bodyText)")
        #expect(
            (last.json?["fileSystemInfo"] as? [String: Any])?["lastModifiedDateTime"] as? String
                == "2021-02-03T04:05:06.000Z")
        #expect(e.contents("ann", path: "up/big.bin") == data)
        // An expired session is gone.
        let other = try c.call("POST", "/root:/up/other.bin:/createUploadSession", json: [:])
        e.expireUploadSessions()
        let expired = try c.call(
            "PUT", other.json?["uploadUrl"] as? String ?? "", body: [1], headers: [("Content-Range", "bytes 0-0/1")],
            auth: false, absolute: true)
        #expect(expired.status == 404)
    }

    @Test func movesCopiesDeletesAndQuota() throws {
        let e = try Self.started()
        defer { e.stop() }
        let c = Client(e, account: "ann")
        e.seed("ann", path: "A/one.txt", bytes: [1, 2, 3])
        e.seed("ann", path: "B/two.txt", bytes: [4])
        let one = try c.call("GET", "/root:/A/one.txt").json?["id"] as? String ?? ""
        let b = try c.call("GET", "/root:/B").json?["id"] as? String ?? ""
        let root = try c.call("GET", "/root").json?["id"] as? String ?? ""
        let moved = try c.call("PATCH", "/items/\(one)", json: ["parentReference": ["id": b], "name": "uno.txt"])
        #expect(moved.status == 200 && e.contents("ann", path: "B/uno.txt") == [1, 2, 3])
        let clash = try c.call("PATCH", "/items/\(one)", json: ["name": "TWO.txt"])
        #expect(clash.status == 409)
        let copy = try c.call(
            "POST", "/items/\(one)/copy", json: ["parentReference": ["id": root], "name": "copy.txt"],
            headers: [("Prefer", "respond-async")])
        #expect(copy.status == 202)
        let monitor = try #require(copy.header("Location"))
        var state = ""
        for _ in 0..<100 {
            let polled = try c.call("GET", monitor, auth: false, absolute: true).json ?? [:]
            state = polled["status"] as? String ?? ""
            if state == "completed" {
                #expect(polled["resourceId"] is String)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(state == "completed" && e.contents("ann", path: "copy.txt") == [1, 2, 3])
        #expect(try c.call("DELETE", "/items/\(one)").status == 204)
        #expect(try c.call("GET", "/items/\(one)").status == 404)
        let drive = try c.call("GET", "").json ?? [:]
        let quota = drive["quota"] as? [String: Any] ?? [:]
        #expect(quota["used"] as? Int == 4 && quota["deleted"] as? Int == 3, "\(quota)")
    }

    @Test func tokensRotateAndExpireAndFaultsAreThere() throws {
        let e = try Self.started()
        defer { e.stop() }
        e.registerApp(clientID: "client-1")
        let c = Client(e, account: "ann")
        let refresh = e.issueTokens(for: "ann").refresh
        let url = e.baseURL + "/common/oauth2/v2.0/token"
        let renewed = try c.http.send(
            HTTPRequest.form(
                "POST", url, [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "client-1")]))
        #expect(renewed.status == 200 && renewed.json?["refresh_token"] as? String != refresh, "\(renewed.bodyText)")
        let reused = try c.http.send(
            HTTPRequest.form(
                "POST", url, [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "client-1")]))
        #expect(reused.status == 400 && reused.bodyText.contains("invalid_grant"))
        e.expireAccessTokens(of: "ann")
        let expired = try c.call("GET", "/root")
        #expect(expired.status == 401 && (expired.header("WWW-Authenticate") ?? "").contains("expired_token"))
        c.token = e.issueTokens(for: "ann").access
        e.setFaults {
            $0.throttled = 1
            $0.retryAfter = 7
        }
        let throttled = try c.call("GET", "/root")
        #expect(throttled.status == 429 && throttled.header("Retry-After") == "7")
        #expect(throttled.bodyText.contains("activityLimitReached") && throttled.bodyText.contains("innerError"))
        #expect(try c.call("GET", "/root").status == 200)
    }
}
