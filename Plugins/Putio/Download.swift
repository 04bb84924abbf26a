import ConnectorKit

/// A ranged read: a fresh signed URL per open (`/files/<id>/url`; their lifetime is not documented),
/// then a plain GET of it with `Range`, without the token (the URL authorises itself).
final class PutioReader: ConnectorReader {
    private let download: HTTPDownload
    private let path: String
    private var expected: Int64?
    private var received: Int64 = 0
    private var skip: Int64 = 0

    init(connector: PutioConnector, path: String, known: PutioCacheEntry, offset: Int64, length: Int64?) throws {
        self.path = path
        let json = try connector.api("GET", "/v2/files/\(known.id)/url")
        guard let url = json["url"] as? String, !url.isEmpty else {
            throw ConnectorFailure(.transient, "read '\(path)': no download URL in the answer")
        }
        var headers: [(String, String)] = []
        let wantsRange = offset > 0 || length != nil
        if wantsRange {
            if let length, length <= 0 {
                // An empty range: nothing to fetch (and a Range of zero bytes is not expressible).
                download = try connector.http.openDownload(HTTPRequest("HEAD", url))
                expected = 0
                download.close()
                return
            }
            let end = length.map { String(offset + $0 - 1) } ?? ""
            headers.append(("Range", "bytes=\(offset)-\(end)"))
        }
        download = try connector.http.openDownload(HTTPRequest("GET", url, headers: headers))
        let response = download.response
        switch response.status {
        case 206: break
        case 200:
            // A server that ignored Range sends everything: skip to the offset ourselves.
            skip = offset
        case 416:
            // Past the end (or an empty file): no bytes.
            expected = 0
            download.close()
            return
        default:
            download.close()
            throw PutioErrors.failure("read '\(path)'", response)
        }
        if let contentLength = response.header("Content-Length").flatMap({ Int64($0) }) {
            expected = contentLength - skip
            if let length, response.status == 200 { expected = min(expected!, length) }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let expected, received >= expected { return 0 }
        while skip > 0 {
            let n = try download.read(
                into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(Int(min(skip, Int64(buffer.count))))))
            if n == 0 { break }
            skip -= Int64(n)
        }
        var room = buffer.count
        if let expected { room = Int(min(Int64(room), expected - received)) }
        let n = try download.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(room)))
        received += Int64(n)
        if n == 0, let expected, received < expected {
            throw ConnectorFailure(
                .transient, "read '\(path)': the download ended after \(received) of \(expected) bytes")
        }
        return n
    }

    func close() { download.close() }
}
