import EmulatorKit
import Foundation

/// Put.io's wire formats: file objects, timestamps and the error envelope.
enum PutioJSON {
    static func time(_ seconds: Int64) -> String {
        // UTC without a zone suffix: the form go-putio and rclone parse. gmtime_r, not a
        // DateFormatter: making one per file object was a tenth of the emulator's CPU.
        var t = time_t(seconds)
        var f = tm()
        gmtime_r(&t, &f)
        let digits = [
            (f.tm_year + 1900, 4), (f.tm_mon + 1, 2), (f.tm_mday, 2), (f.tm_hour, 2), (f.tm_min, 2), (f.tm_sec, 2),
        ].map { value, width in
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(digits[0])-\(digits[1])-\(digits[2])T\(digits[3]):\(digits[4]):\(digits[5])"
    }

    /// Accepts RFC 3339 / ISO 8601 (`YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z`, `±HH:MM`
    /// or nothing for UTC), and plain seconds.
    static func parseTime(_ text: String) -> Int64? {
        if let seconds = Int64(text) { return seconds }
        let scalars = Array(text.unicodeScalars)
        var at = 0
        func field(_ width: Int, then separator: Character?) -> Int32? {
            guard at + width <= scalars.count else { return nil }
            var value: Int32 = 0
            for scalar in scalars[at..<at + width] {
                guard ("0"..."9").contains(scalar) else { return nil }
                value = value * 10 + Int32(scalar.value - 48)
            }
            at += width
            if let separator {
                guard at < scalars.count, Character(scalars[at]) == separator else { return nil }
                at += 1
            }
            return value
        }
        guard let year = field(4, then: "-"), let month = field(2, then: "-"), let day = field(2, then: "T"),
            let hour = field(2, then: ":"), let minute = field(2, then: ":"), let second = field(2, then: nil),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        if at < scalars.count && scalars[at] == "." {
            at += 1
            while at < scalars.count && ("0"..."9").contains(scalars[at]) { at += 1 }
        }
        var offset: Int64 = 0
        if at < scalars.count {
            let sign = scalars[at]
            at += 1
            if sign == "Z" && at == scalars.count {
                offset = 0
            } else if sign == "+" || sign == "-", let h = field(2, then: ":"), let m = field(2, then: nil),
                at == scalars.count
            {
                offset = (Int64(h) * 3600 + Int64(m) * 60) * (sign == "+" ? 1 : -1)
            } else {
                return nil
            }
        }
        var f = tm()
        (f.tm_year, f.tm_mon, f.tm_mday, f.tm_hour, f.tm_min, f.tm_sec) = (
            year - 1900, month - 1, day, hour, minute, second
        )
        return Int64(timegm(&f)) - offset
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
