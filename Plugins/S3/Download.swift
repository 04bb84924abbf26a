import ConnectorKit

/// A ranged GET of one object. The body streams through the HTTP client's bounded pipe.
final class S3Reader: DescribingReader {
    /// Nil for an empty range: nothing to fetch.
    private var body: AnnouncedLengthBody?
    /// The object as the GET's headers describe it: its mtime, which no listing carries, above all.
    private(set) var describedEntry: ConnectorEntry?

    init(connector: S3Connector, location: S3Location, path: String, offset: Int64, length: Int64?) throws {
        if let length, length <= 0 { return }
        var headers: [(String, String)] = []
        if offset > 0 || length != nil {
            headers.append(("Range", "bytes=\(offset)-" + (length.map { String(offset + $0 - 1) } ?? "")))
        }
        let call = S3Connector.Call(method: "GET", bucket: location.bucket, key: location.key, headers: headers)
        var download = try connector.http.openDownload(connector.request(for: call))
        if download.response.status == 403, S3Errors.code(of: download.response) == "RequestTimeTooSkewed" {
            // Let the client learn the server's clock, then ask again.
            _ = try connector.perform(S3Connector.Call(method: "HEAD", bucket: location.bucket, key: location.key))
            download = try connector.http.openDownload(connector.request(for: call))
        }
        let response = download.response
        switch response.status {
        case 200, 206: break
        case 416:
            // Past the end (or an empty object): no bytes.
            download.close()
            return
        default:
            download.close()
            throw S3Errors.failure("read '\(path)'", response, bucket: location.bucket)
        }
        body = AnnouncedLengthBody(
            download, expected: response.header("Content-Length").flatMap { Int64($0) }, what: "read '\(path)'")
        var described = connector.objectEntry(path, response)
        if let total = response.header("Content-Range")?.split(separator: "/").last.flatMap({ Int64($0) }) {
            described.size = total
        }
        describedEntry = described
        if response.status == 200 && offset > 0 {
            download.close()
            throw ConnectorFailure(.transient, "read '\(path)': the server ignored the Range header")
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try body?.read(into: buffer) ?? 0
    }

    func close() { body?.download.close() }
}
