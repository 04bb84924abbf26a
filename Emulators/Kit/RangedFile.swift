/// A file's bytes served as HTTP serves them: whole (200), a range (206), or 416 for a range past
/// the end; with the download faults every emulator offers (the connection cut mid-body, or a body
/// shorter than the file it claims to be).
public enum RangedFile {
    public enum Fault: Sendable {
        /// The connection closes halfway through the body.
        case drop
        /// The body, and its declared length, are half of what was asked.
        case truncate
    }

    /// The answer for `range` (a `Range` header, or nil) of `size` bytes stored at `path`.
    public static func response(
        path: String, size: Int64, range: String?, fault: Fault? = nil,
        headers extra: [(String, String)] = [("Content-Type", "application/octet-stream")]
    ) -> EmulatorResponse {
        var start: Int64 = 0
        var end = size - 1
        var status = 200
        var headers = [("Accept-Ranges", "bytes")] + extra
        if let range {
            guard let (s, e) = parse(range, size: size) else {
                return EmulatorResponse(status: 416, headers: [("Content-Range", "bytes */\(size)")])
            }
            (start, end, status) = (s, e, 206)
            headers.append(("Content-Range", "bytes \(s)-\(e)/\(size)"))
        }
        var length = max(0, end - start + 1)
        var dropAfter: Int64?
        switch fault {
        case .drop?: dropAfter = length / 2
        case .truncate?: length /= 2
        case nil: break
        }
        return EmulatorResponse(
            status: status, headers: headers, body: .file(path: path, offset: start, length: length),
            dropAfterBytes: dropAfter)
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`; nil when unsatisfiable (or several ranges).
    public static func parse(_ header: String, size: Int64) -> (Int64, Int64)? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let n = Int64(spec[1]), n > 0, size > 0 else { return nil }
            return (max(0, size - n), size - 1)
        }
        guard let s = Int64(spec[0]), s < size else { return nil }
        let e = spec[1].isEmpty ? size - 1 : min(Int64(spec[1]) ?? -1, size - 1)
        return e >= s ? (s, e) : nil
    }
}
