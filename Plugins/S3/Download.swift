import ConnectorKit

/// A ranged GET of one object. The body streams through the HTTP client's bounded pipe.
final class S3Reader: DescribingReader {
    /// Nil for an empty range: nothing to fetch.
    private let download: HTTPDownload?
    /// The object as the GET's headers describe it: its mtime, which no listing carries, above all.
    private(set) var describedEntry: ConnectorEntry?
    private let path: String
    private var expected: Int64?
    private var received: Int64 = 0

    init(connector: S3Connector, location: S3Location, path: String, offset: Int64, length: Int64?) throws {
        self.path = path
        if let length, length <= 0 {
            download = nil
            expected = 0
            return
        }
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
            expected = 0
            download.close()
            self.download = nil
            return
        default:
            download.close()
            throw S3Errors.failure("read '\(path)'", response, bucket: location.bucket)
        }
        self.download = download
        expected = response.header("Content-Length").flatMap { Int64($0) }
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
        guard let download else { return 0 }
        if let expected, received >= expected { return 0 }
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

    func close() { download?.close() }
}
