import ConnectorKit
import Foundation

/// A Put.io file object, reduced to what a sync tool needs.
struct PutioFile {
    var id: Int64
    var parentId: Int64
    var name: String
    var isFolder: Bool
    var size: Int64
    var crc32: String?
    var updatedAt: Int64?
    /// Put.io's MP4 conversion, where one exists (listed with `mp4_status=1`).
    var mp4Size: Int64?

    init?(_ json: Any?) {
        guard let object = json as? [String: Any], let id = (object["id"] as? NSNumber)?.int64Value,
            let name = object["name"] as? String
        else { return nil }
        self.id = id
        self.name = name
        parentId = (object["parent_id"] as? NSNumber)?.int64Value ?? 0
        isFolder =
            (object["content_type"] as? String) == "application/x-directory"
            || (object["file_type"] as? String) == "FOLDER"
        size = (object["size"] as? NSNumber)?.int64Value ?? 0
        crc32 = PutioHashes.normalize(object["crc32"] as? String)
        updatedAt = (object["updated_at"] as? String).flatMap(PutioTime.parse)
        if (object["is_mp4_available"] as? NSNumber)?.boolValue == true {
            mp4Size = (object["mp4_size"] as? NSNumber)?.int64Value
        }
    }

    /// The name the MP4 conversion goes by ("Movie.mkv" → "Movie.mp4"), when there is one to offer.
    var renditionName: String? {
        guard !isFolder, mp4Size != nil else { return nil }
        let ext = (name as NSString).pathExtension.lowercased()
        guard ext != "mp4" else { return nil }
        return ((name as NSString).deletingPathExtension) + ".mp4"
    }

    /// The MP4 conversion as an entry: its own size, no hash (Put.io reports none for it).
    func renditionEntry(at path: String) -> ConnectorEntry {
        ConnectorEntry(
            path: path, isDirectory: false, size: mp4Size, mtimeNanoseconds: updatedAt.map { $0 * 1_000_000_000 },
            id: "mp4:\(id)")
    }

    func entry(at path: String) -> ConnectorEntry {
        ConnectorEntry(
            path: path, isDirectory: isFolder, size: isFolder ? 0 : size,
            mtimeNanoseconds: updatedAt.map { $0 * 1_000_000_000 }, id: String(id),
            hashes: crc32.map { [.crc32: $0] } ?? [:])
    }
}

/// Put.io's timestamps: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SS` with an optional `Z`.
enum PutioTime {
    static func parse(_ text: String) -> Int64? {
        var t = text
        if t.hasSuffix("Z") { t.removeLast() }
        if t.count > 10, t[t.index(t.startIndex, offsetBy: 10)] == " " {
            t = t.replacingOccurrences(of: " ", with: "T")
        }
        let parts = t.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard parts.count >= 6 else { return nil }
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (
            parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]
        )
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: c).map { Int64($0.timeIntervalSince1970) }
    }

    /// RFC 3339 in UTC, as `touch` and tus's `updated-at` take it.
    static func format(nanoseconds: Int64) -> String {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
