import ConnectorKit

/// A ranged read: a fresh signed URL per open (`/files/<id>/url`; their lifetime is not documented),
/// then a plain GET of it with `Range`, without the token (the URL authorises itself).
final class PutioReader: ConnectorReader {
    /// Nil for an empty range: nothing to fetch.
    private var body: AnnouncedLengthBody?
    private var skip: Int64 = 0

    init(connector: PutioConnector, path: String, known: PutioCacheEntry, offset: Int64, length: Int64?) throws {
        // An empty range (a Range of zero bytes is not expressible): no request at all.
        if let length, length <= 0 { return }
        var headers: [(String, String)] = []
        let url: String
        if known.rendition {
            // The conversion has no URL of its own to ask for: its download answers 302 to one
            // (libcurl drops the token when that points at another host).
            url = connector.apiURL + "/v2/files/\(known.id)/mp4/download"
            headers = connector.authHeaders
        } else {
            let json = try connector.api("GET", "/v2/files/\(known.id)/url")
            guard let signed = json["url"] as? String, !signed.isEmpty else {
                throw ConnectorFailure(.transient, "read '\(path)': no download URL in the answer")
            }
            url = signed
        }
        if offset > 0 || length != nil {
            let end = length.map { String(offset + $0 - 1) } ?? ""
            headers.append(("Range", "bytes=\(offset)-\(end)"))
        }
        let download = try connector.http.openDownload(HTTPRequest("GET", url, headers: headers))
        let response = download.response
        switch response.status {
        case 206: break
        case 200:
            // A server that ignored Range sends everything: skip to the offset ourselves.
            skip = offset
        case 416:
            // Past the end (or an empty file): no bytes.
            download.close()
            return
        default:
            download.close()
            throw PutioErrors.failure("read '\(path)'", response)
        }
        var expected = response.header("Content-Length").flatMap { Int64($0) }.map { $0 - skip }
        if let length, response.status == 200, let whole = expected { expected = min(whole, length) }
        body = AnnouncedLengthBody(download, expected: expected, what: "read '\(path)'")
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let body else { return 0 }
        while skip > 0 {
            let n = try body.download.read(
                into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(Int(min(skip, Int64(buffer.count))))))
            if n == 0 { break }
            skip -= Int64(n)
        }
        return try body.read(into: buffer)
    }

    func close() { body?.download.close() }
}

/// Reading by id: how the host reads each of several files that share a name in one folder.
/// Ids are a file's number, or `mp4:<number>` for its MP4 conversion (`video = mp4`).
extension PutioConnector: ReadByID {
    func openReader(id: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        let rendition = id.hasPrefix("mp4:")
        guard let number = Int64(rendition ? String(id.dropFirst(4)) : id), number > 0 else {
            throw ConnectorFailure(.invalidArgument, "'\(id)' is not a Put.io file id")
        }
        let known = PutioCacheEntry(id: number, isFolder: false, size: 0, rendition: rendition)
        return try PutioReader(connector: self, path: "file \(id)", known: known, offset: offset, length: length)
    }
}
