import ConnectorKit
import Foundation

/// A ranged read (onedrive.md §3.8): `/content` answers 302 with a pre-authenticated URL, which is
/// fetched without the bearer token and with the Range.
final class OneDriveReader: ConnectorReader {
    private var body: RangedRead?

    init(connector c: OneDriveConnector, url: String, shown: String, offset: Int64, length: Int64?) throws {
        if let length, length <= 0 { return }
        let redirect = try c.call("GET", url, allowed: [302], what: "read \(shown)")
        guard redirect.status == 302, let location = redirect.header("Location") else {
            throw ConnectorFailure(.transient, "onedrive: read \(shown): no download address")
        }
        switch try RangedRead.open(c.http, url: location, offset: offset, length: length, what: "read \(shown)") {
        case .body(let read): body = read
        case .empty: return
        case .refused(let response): throw OneDriveErrors.failure("read \(shown)", response)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try body?.read(into: buffer) ?? 0 }

    func close() { body?.close() }
}

extension OneDriveConnector: ReadByID {
    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "onedrive: the root is a folder") }
        let item = try lookup(path)
        guard let item else { throw ConnectorFailure(.notFound, "onedrive: '\(path)' not found") }
        guard item["folder"] == nil, let id = item["id"] as? String else {
            throw ConnectorFailure(.isADirectory, "onedrive: '\(path)' is a folder")
        }
        if (item["size"] as? NSNumber)?.int64Value == 0 { return EmptyReader() }
        return try OneDriveReader(
            connector: self, url: self.item(id, "content"), shown: "'\(path)'", offset: offset, length: length)
    }

    func openReader(id: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        try OneDriveReader(
            connector: self, url: item(id, "content"), shown: "item \(id)", offset: offset, length: length)
    }
}

/// An empty file: nothing to fetch.
final class EmptyReader: ConnectorReader {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { 0 }
    func close() {}
}
