import EmulatorKit
import Foundation

/// Put.io's wire formats: file objects, timestamps and the error envelope.
enum PutioJSON {
    static func time(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        // UTC without a zone suffix: the form go-putio and rclone parse.
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Accepts RFC 3339 / ISO 8601 with or without a zone, and plain seconds.
    static func parseTime(_ text: String) -> Int64? {
        if let seconds = Int64(text) { return seconds }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: text) { return Int64(d.timeIntervalSince1970.rounded(.down)) }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: text) { return Int64(d.timeIntervalSince1970.rounded(.down)) }
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.timeZone = TimeZone(identifier: "UTC")
        plain.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        if let d = plain.date(from: text) { return Int64(d.timeIntervalSince1970) }
        return nil
    }

    static func file(_ node: PutioNode, in account: PutioAccount, mp4Status: Bool = false) -> [String: Any] {
        let ext =
            node.isFolder
            ? "" : (node.name.split(separator: ".").count > 1 ? String(node.name.split(separator: ".").last!) : "")
        return [
            "id": node.id,
            "parent_id": node.id == 0 ? NSNull() : node.parentId as Any,
            "name": node.name,
            "size": account.size(of: node),
            "content_type": node.isFolder ? "application/x-directory" : contentType(ext),
            "file_type": node.isFolder ? "FOLDER" : fileType(ext),
            "extension": node.isFolder ? NSNull() : ext as Any,
            "crc32": node.isFolder ? NSNull() : (node.crc32 as Any? ?? NSNull()),
            "created_at": time(node.createdAt),
            "updated_at": time(node.updatedAt),
            "first_accessed_at": NSNull(),
            "folder_type": "REGULAR",
            "is_mp4_available": node.mp4Blob != nil,
            "is_shared": false,
            "is_hidden": false,
            "start_from": 0,
        ].merging(
            mp4Status && !node.isFolder
                ? [
                    "mp4_size": node.mp4Blob != nil ? node.mp4Size as Any : NSNull(),
                    "need_convert": node.mp4Blob == nil,
                ]
                : [:]
        ) { a, _ in a }
    }

    /// The account root, which has no node of its own in the store.
    static func root() -> PutioNode {
        PutioNode(id: 0, parentId: 0, name: "Your Files", isFolder: true, now: 0)
    }

    static func fileType(_ ext: String) -> String {
        switch ext.lowercased() {
        case "mkv", "mp4", "avi", "mov", "m4v", "webm": "VIDEO"
        case "mp3", "flac", "m4a", "ogg", "wav": "AUDIO"
        case "jpg", "jpeg", "png", "gif", "webp": "IMAGE"
        case "zip", "rar", "7z", "tar", "gz": "ARCHIVE"
        case "pdf": "PDF"
        case "txt", "srt", "nfo", "md", "sub", "ass": "TEXT"
        default: "FILE"
        }
    }

    static func contentType(_ ext: String) -> String {
        switch ext.lowercased() {
        case "mkv": "video/x-matroska"
        case "mp4", "m4v": "video/mp4"
        case "flac": "audio/flac"
        case "mp3": "audio/mpeg"
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "pdf": "application/pdf"
        case "txt", "srt", "nfo", "md": "text/plain"
        default: "application/octet-stream"
        }
    }

    /// The §5 error envelope.
    static func error(_ status: Int, _ type: String, _ message: String, headers: [(String, String)] = [])
        -> EmulatorResponse
    {
        .json(
            status,
            [
                "error_id": NSNull(), "error_message": message, "error_type": type,
                "error_uri": "http://api.put.io/v2/docs", "extra": [String: Any](), "status": "ERROR",
                "status_code": status,
            ], headers: headers)
    }

    static func ok(_ payload: [String: Any] = [:]) -> EmulatorResponse {
        var body = payload
        body["status"] = "OK"
        return .json(200, body)
    }
}
