import ConnectorKit

/// A ranged read: a fresh signed URL per open (`/files/<id>/url`; their lifetime is not documented),
/// then a plain GET of it with `Range`, without the token (the URL authorises itself).
final class PutioReader: ConnectorReader {
    /// Nil for an empty range: nothing to fetch.
    private var body: RangedRead?

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
        switch try RangedRead.open(
            connector.http, url: url, headers: headers, offset: offset, length: length, what: "read '\(path)'")
        {
        case .body(let read): body = read
        case .empty: return  // past the end (or an empty file): no bytes
        case .refused(let response): throw PutioErrors.failure("read '\(path)'", response)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try body?.read(into: buffer) ?? 0 }

    func close() { body?.close() }
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
