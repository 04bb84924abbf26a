import ConnectorKit
import Foundation

/// A ranged read through `files/download` on the content host (dropbox.md §3.7): a POST with the
/// path in `Dropbox-API-Arg` and a Range header; an expired access token is renewed once.
final class DropboxReader: ConnectorReader {
    private var body: RangedRead?

    init(connector c: DropboxConnector, target: String, shown: String, offset: Int64, length: Int64?) throws {
        if let length, length <= 0 { return }
        var retried = false
        while true {
            let headers = try c.contentHeaders(["path": target])
            let used = c.credentials.accessToken
            switch try RangedRead.open(
                c.http, url: c.settings.contentURL + "/2/files/download", method: "POST", headers: headers,
                offset: offset, length: length, what: "read '\(shown)'")
            {
            case .body(let read):
                body = read
                return
            case .empty: return
            case .refused(let response) where response.status == 401 && !retried:
                retried = true
                guard try c.credentials.refreshAfterRejection(of: used) else {
                    throw DropboxErrors.failure("read '\(shown)'", response)
                }
            case .refused(let response): throw DropboxErrors.failure("read '\(shown)'", response)
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try body?.read(into: buffer) ?? 0 }

    func close() { body?.close() }
}

extension DropboxConnector: ReadByID {
    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "dropbox: the root is a folder") }
        return try DropboxReader(
            connector: self, target: try DropboxPath.api(path), shown: path, offset: offset, length: length)
    }

    /// Reading by the `id:` a listing carried.
    func openReader(id: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        guard id.hasPrefix("id:") else { throw ConnectorFailure(.invalidArgument, "dropbox: '\(id)' is not an id") }
        return try DropboxReader(connector: self, target: id, shown: id, offset: offset, length: length)
    }
}
