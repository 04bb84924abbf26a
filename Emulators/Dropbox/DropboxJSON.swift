import EmulatorKit
import Foundation

/// Dropbox's JSON shapes (dropbox.md §2, §5): tagged metadata, the 409 endpoint errors, the 401
/// and 429 bodies, plain-text 400s, and arguments from the `Dropbox-API-Arg` header or `arg=`.
enum DropboxJSON {
    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
    }

    static func parseTime(_ text: String?) -> Date? {
        guard let text else { return nil }
        return ISO8601DateFormatter().date(from: text)
    }

    /// An item's metadata; `tagged` adds `.tag` (fields typed as the polymorphic Metadata carry it).
    static func metadata(_ n: DropboxNode, _ a: DropboxSpace, tagged: Bool = true) -> [String: Any] {
        let display = a.displayPath(n.id)
        var out: [String: Any] = [
            "name": n.name, "id": n.id, "path_lower": DropboxSpace.fold(display), "path_display": display,
        ]
        if n.isFolder {
            if tagged { out[".tag"] = "folder" }
            return out
        }
        if tagged { out[".tag"] = "file" }
        out["client_modified"] = time(n.clientModified)
        out["server_modified"] = time(n.serverModified)
        out["rev"] = n.rev
        out["size"] = n.size
        out["is_downloadable"] = true
        out["content_hash"] = n.contentHash
        return out
    }

    static func deleted(_ lowerPath: String) -> [String: Any] {
        [
            ".tag": "deleted", "name": String(lowerPath.split(separator: "/").last ?? ""), "path_lower": lowerPath,
            "path_display": lowerPath,
        ]
    }

    /// A 409 endpoint error: the nested tags joined for the summary, the union itself as `error`.
    static func endpoint(_ error: [String: Any], summary: String) -> EmulatorResponse {
        .json(409, ["error_summary": summary + "/..", "error": error])
    }

    /// `{".tag": route-tag, route-tag: {".tag": reason}}`, e.g. path/not_found.
    static func lookup(_ wrapper: String, _ reason: String) -> EmulatorResponse {
        endpoint([".tag": wrapper, wrapper: [".tag": reason]], summary: "\(wrapper)/\(reason)")
    }

    /// A write error under `wrapper`: conflict with what is there (file or folder), and so on.
    static func conflict(_ wrapper: String, _ kind: String) -> EmulatorResponse {
        endpoint(
            [".tag": wrapper, wrapper: [".tag": "conflict", "conflict": [".tag": kind]]],
            summary: "\(wrapper)/conflict/\(kind)")
    }

    /// files/upload's error: `UploadError.path` is a struct, its `reason` beside `.tag`.
    static func uploadWrite(_ reason: [String: Any], summary: String) -> EmulatorResponse {
        endpoint([".tag": "path", "reason": reason, "upload_session_id": ""], summary: "path/" + summary)
    }

    static func plain(_ status: Int, _ text: String) -> EmulatorResponse {
        EmulatorResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array(text.utf8)))
    }

    static func badArgument(_ route: String, _ detail: String) -> EmulatorResponse {
        plain(400, "Error in call to API function \"\(route)\": \(detail)")
    }

    static func unauthorized(_ tag: String) -> EmulatorResponse {
        .json(401, ["error_summary": tag + "/..", "error": [".tag": tag]])
    }

    static func tooMany(_ reason: String, retryAfter: Int, header: String?, plain: Bool) -> EmulatorResponse {
        let headers = header.map { [("Retry-After", $0)] } ?? []
        if plain {
            return EmulatorResponse(status: 429, headers: headers, body: .bytes(Array("Too Many Requests".utf8)))
        }
        return .json(
            429,
            ["error_summary": reason + "/..", "error": ["reason": [".tag": reason], "retry_after": retryAfter]],
            headers: headers)
    }

    /// The route's argument: the RPC body, or the `Dropbox-API-Arg` header (or `arg=` query) of an
    /// upload or download. Nil when it is not a JSON object.
    static func argument(_ r: EmulatorRequest, content: Bool) -> [String: Any]? {
        let text: String
        if content {
            guard let arg = r.header("Dropbox-API-Arg") ?? r.queryValue("arg") else { return nil }
            text = arg
        } else {
            text = String(decoding: r.body, as: UTF8.self)
            if text.isEmpty || text == "null" { return [:] }
        }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// JSON safe for an HTTP header: every character past ASCII as a `\uXXXX` escape.
    static func headerSafe(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var out = ""
        for unit in String(decoding: data, as: UTF8.self).utf16 {
            if unit < 0x7F {
                out.unicodeScalars.append(Unicode.Scalar(unit)!)
            } else {
                out += String(format: "\\u%04x", unit)
            }
        }
        return out
    }
}
