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

/// Put.io's timestamps: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SS` with an optional `Z` (a space
/// for the `T` is taken too). Converted with the C library's `timegm`/`gmtime_r`: a Foundation date
/// formatter costs more to make than a whole upload's bookkeeping.
enum PutioTime {
    static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 19 || (b.count == 20 && b[19] == UInt8(ascii: "Z")) else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for i in range {
                guard b[i] >= UInt8(ascii: "0") && b[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int32(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        let separators = [(4, "-"), (7, "-"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ b[$0.0] == UInt8(ascii: Unicode.Scalar($0.1)!) }),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fields = tm()
        (fields.tm_year, fields.tm_mon, fields.tm_mday) = (year - 1900, month - 1, day)
        (fields.tm_hour, fields.tm_min, fields.tm_sec) = (hour, minute, second)
        return Int64(timegm(&fields))
    }

    /// RFC 3339 in UTC, as `touch` and tus's `updated-at` take it.
    static func format(nanoseconds: Int64) -> String {
        var seconds = time_t(
            nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(fields.tm_year + 1900)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(fields.tm_mon + 1) + "-"
            + two(fields.tm_mday) + "T" + two(fields.tm_hour) + ":" + two(fields.tm_min) + ":" + two(fields.tm_sec)
            + "Z"
    }
}
