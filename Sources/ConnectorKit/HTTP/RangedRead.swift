import Foundation

/// A ranged GET of a file as HTTP stores answer it: 206 with the range, 200 with the whole file
/// (a server that ignores `Range`: the bytes before the offset are skipped here), or 416 past the
/// end (no bytes). Reads stop at the length the response announced, and a body that ends before
/// it is TRANSIENT.
public final class RangedRead {
    /// What the request got: a body to read, nothing to read, or an answer the caller maps.
    public enum Opened {
        case body(RangedRead)
        case empty
        case refused(HTTPResponse)
    }

    private let body: AnnouncedLengthBody
    private var skip: Int64

    private init(_ body: AnnouncedLengthBody, skip: Int64) {
        self.body = body
        self.skip = skip
    }

    /// GETs `url` (or sends `method`: Dropbox downloads are POSTs) from `offset` for `length` bytes
    /// (nil: to the end) with `headers` besides Range.
    public static func open(
        _ http: HTTPClient, url: String, method: String = "GET", headers: [(String, String)] = [], offset: Int64,
        length: Int64?, what: String
    ) throws -> Opened {
        var all = headers
        if offset > 0 || length != nil {
            let end = length.map { String(offset + $0 - 1) } ?? ""
            all.append(("Range", "bytes=\(offset)-\(end)"))
        }
        let download = try http.openDownload(HTTPRequest(method, url, headers: all))
        let response = download.response
        var skip: Int64 = 0
        switch response.status {
        case 206: break
        case 200: skip = offset
        case 416:
            download.close()
            return .empty
        default:
            download.close()
            return .refused(response)
        }
        var expected = response.header("Content-Length").flatMap { Int64($0) }.map { $0 - skip }
        if let length, response.status == 200, let whole = expected { expected = min(whole, length) }
        return .body(RangedRead(AnnouncedLengthBody(download, expected: expected, what: what), skip: skip))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while skip > 0 {
            let n = try body.download.read(
                into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(Int(min(skip, Int64(buffer.count))))))
            if n == 0 { break }
            skip -= Int64(n)
        }
        return try body.read(into: buffer)
    }

    public func close() { body.download.close() }
}
