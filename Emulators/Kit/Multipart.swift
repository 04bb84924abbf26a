/// A minimal multipart/form-data parser (RFC 7578) for emulated upload endpoints.
public enum Multipart {
    public struct Part: Sendable {
        public var name: String
        public var filename: String?
        public var body: [UInt8]
    }

    public static func parse(_ body: [UInt8], boundary: String) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: body, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            if body.count >= from + 2, body[from] == 13, body[from + 1] == 10 { from += 2 }
            // Each part ends with CRLF before the next delimiter.
            let to = end >= 2 ? end - 2 : end
            guard from < to, let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: from), headerEnd < to else {
                continue
            }
            let headers = String(decoding: body[from..<headerEnd], as: UTF8.self)
            var name = ""
            var filename: String?
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition") {
                for field in line.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    if field.hasPrefix("name=") { name = unquote(field.dropFirst(5)) }
                    if field.hasPrefix("filename=") { filename = unquote(field.dropFirst(9)) }
                }
            }
            parts.append(Part(name: name, filename: filename, body: Array(body[(headerEnd + 4)..<to])))
        }
        return parts
    }

    private static func unquote(_ s: Substring) -> String {
        var t = String(s)
        if t.hasPrefix("\""), t.hasSuffix("\""), t.count >= 2 { t = String(t.dropFirst().dropLast()) }
        return t.replacingOccurrences(of: "\\\"", with: "\"")
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count else { return nil }
        var i = from
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
