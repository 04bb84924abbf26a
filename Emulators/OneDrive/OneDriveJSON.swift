import EmulatorKit
import Foundation

/// Graph's JSON shapes (onedrive.md §2, §5.1): driveItems with their facets, and error bodies with
/// nested inner errors.
enum OneDriveJSON {
    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func parseTime(_ text: Any?) -> Date? {
        guard let text = text as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// A driveItem; `base` is the server's address (download URLs point back at it).
    static func item(_ id: String, _ a: OneDriveAccount, base: String, downloadURL: String? = nil) -> [String: Any] {
        let reference: [String: Any] = ["driveId": a.driveID, "driveType": "personal"]
        guard id != a.rootID, let n = a.tree[id] else {
            return [
                "id": a.rootID, "name": "root", "root": [:] as [String: Any], "size": a.used,
                "folder": ["childCount": a.tree.childIDs(of: "").count], "parentReference": reference,
                "eTag": "\"{ROOT},1\"", "fileSystemInfo": [:] as [String: Any],
            ]
        }
        var parent = reference
        parent["id"] = n.parentId.isEmpty ? a.rootID : n.parentId
        parent["path"] = "/drive/root:" + (n.parentId.isEmpty ? "" : a.path(of: n.parentId))
        var out: [String: Any] = [
            "id": n.id, "name": n.name, "size": n.size, "eTag": "\"{\(n.id)},\(n.version)\"",
            "createdDateTime": time(n.created), "lastModifiedDateTime": time(n.modified),
            "fileSystemInfo": ["createdDateTime": time(n.created), "lastModifiedDateTime": time(n.modified)],
            "parentReference": parent,
        ]
        if n.isFolder {
            out["folder"] = ["childCount": a.tree.childIDs(of: n.id).count]
        } else {
            out["cTag"] = "\"c:{\(n.id)},\(n.contentVersion)\""
            out["file"] = ["mimeType": "application/octet-stream", "hashes": ["quickXorHash": n.quickXor]]
            if let downloadURL { out["@microsoft.graph.downloadUrl"] = downloadURL }
        }
        return out
    }

    /// `{"error":{"code":…,"message":…,"innererror":{"code":…}}}`.
    static func error(
        _ status: Int, _ code: String, _ message: String, inner: String? = nil, headers: [(String, String)] = [],
        innerSpelling: String = "innererror"
    ) -> EmulatorResponse {
        var body: [String: Any] = ["code": code, "message": message]
        if let inner { body[innerSpelling] = ["code": inner] }
        return .json(status, ["error": body], headers: headers)
    }

    static func notFound(_ what: String = "Item does not exist") -> EmulatorResponse {
        error(404, "itemNotFound", what)
    }

    static func body(_ r: EmulatorRequest) -> [String: Any] {
        guard !r.body.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
    }

    /// OneDrive's quickXorHash (onedrive.md §4.1) in base64, computed here independently of the
    /// client's code.
    static func quickXor(_ blob: String) -> String {
        var acc = [UInt8](repeating: 0, count: 20)
        var shift = 0
        var length: UInt64 = 0
        if let handle = FileHandle(forReadingAtPath: blob) {
            defer { try? handle.close() }
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                for byte in chunk {
                    // The byte's 8 bits land at bit `shift`, spilling into the next byte (mod 20).
                    let spread = UInt16(byte) << UInt16(shift % 8)
                    acc[shift / 8] ^= UInt8(spread & 0xFF)
                    acc[(shift / 8 + 1) % 20] ^= UInt8(spread >> 8)
                    shift = (shift + 11) % 160
                }
                length += UInt64(chunk.count)
            }
        }
        for k in 0..<8 { acc[12 + k] ^= UInt8(truncatingIfNeeded: length >> (8 * UInt64(k))) }
        return Data(acc).base64EncodedString()
    }
}
