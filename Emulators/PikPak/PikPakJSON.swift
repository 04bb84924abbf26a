import Crypto
import EmulatorKit
import Foundation

/// PikPak's wire formats (shared/api/pikpak.md §2, §5): file objects with numbers as strings,
/// RFC 3339 times in the server's +08:00 zone, and the error envelope.
enum PikPakJSON {
    /// `2022-09-17T14:31:06.056+08:00`.
    static func time(_ date: Date) -> String {
        let shifted = date.timeIntervalSince1970 + 8 * 3600
        var t = time_t(shifted.rounded(.down))
        var f = tm()
        gmtime_r(&t, &f)
        let millis = Int((shifted - shifted.rounded(.down)) * 1000)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(f.tm_year + 1900, 4))-\(pad(f.tm_mon + 1, 2))-\(pad(f.tm_mday, 2))T"
            + "\(pad(f.tm_hour, 2)):\(pad(f.tm_min, 2)):\(pad(f.tm_sec, 2)).\(pad(Int32(millis), 3))+08:00"
    }

    /// A file object as listings return it; `links` adds what only GET-by-id has.
    static func file(_ n: PikPakNode, links: [String: Any]? = nil) -> [String: Any] {
        let ext =
            n.isFolder
            ? "" : ((n.name as NSString).pathExtension.isEmpty ? "" : "." + (n.name as NSString).pathExtension)
        var object: [String: Any] = [
            "kind": n.isFolder ? "drive#folder" : "drive#file",
            "id": n.id, "parent_id": n.parentId, "name": n.name, "user_id": "",
            "size": String(n.size), "revision": String(n.revision), "file_extension": ext,
            "mime_type": n.isFolder ? "" : "application/octet-stream", "starred": false, "trashed": n.trashed,
            "phase": n.phase, "folder_type": n.isFolder ? "NORMAL" : "", "space": "", "writable": true,
            "created_time": time(n.created), "modified_time": time(n.modified), "user_modified_time": time(n.modified),
            "delete_time": "", "hash": n.gcid, "md5_checksum": n.md5,
            "web_content_link": "", "links": [:] as [String: Any], "medias": [] as [Any],
            "audit": ["status": "STATUS_OK", "message": "", "title": ""], "params": [:] as [String: Any],
        ]
        if let links {
            for (key, value) in links { object[key] = value }
        }
        return object
    }

    /// The error envelope: `{"error", "error_code", "error_description", "details"}`.
    static func error(
        _ status: Int, _ error: String, code: Int, _ description: String, headers: [(String, String)] = []
    ) -> EmulatorResponse {
        .json(
            status,
            [
                "error": error, "error_code": code, "error_url": "", "error_description": description,
                "details": [
                    [
                        "@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en",
                        "message": description,
                    ]
                ],
            ] as [String: Any], headers: headers)
    }

    static func ok(_ object: [String: Any]) -> EmulatorResponse { .json(200, object) }

    static func body(_ r: EmulatorRequest) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
    }

    static func notFound(_ what: String = "file") -> EmulatorResponse {
        error(404, "file_not_found", code: 5, "The \(what) does not exist")
    }
}

/// GCID as the server computes it, over a finished blob. Written apart from SyncHashes on purpose:
/// the connector's hashing is what the emulator checks, so the two must not share a mistake.
enum ServerGCID {
    static func of(file path: String, size: Int64) -> String {
        var block: Int64 = 0x40000
        while Double(size) / Double(block) > 512 && block < 0x20_0000 { block <<= 1 }
        var outer = Insecure.SHA1()
        if let handle = FileHandle(forReadingAtPath: path) {
            defer { try? handle.close() }
            while let chunk = try? handle.read(upToCount: Int(block)), !chunk.isEmpty {
                outer.update(data: Data(Insecure.SHA1.hash(data: chunk)))
            }
        }
        return outer.finalize().map { String(format: "%02X", $0) }.joined()
    }

    static func sha1Upper(_ data: Data) -> String {
        Insecure.SHA1.hash(data: data).map { String(format: "%02X", $0) }.joined()
    }

    static func md5Hex(_ bytes: [UInt8]) -> String {
        Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
