import ConnectorKit
import Foundation

/// A ranged read through the file's signed link (pikpak.md §3.7): the link comes from GET by id
/// (listings carry none), is taken while it has more than 10 s left, and is fetched again when the
/// storage host refuses it (expired) or when the server has not made it yet (right after an
/// upload). An empty file has no link and needs no request.
final class PikPakReader: ConnectorReader {
    private var body: RangedRead?

    init(connector c: PikPakConnector, path: String, known: PikPakKnown, offset: Int64, length: Int64?) throws {
        if let length, length <= 0 { return }
        if offset >= known.size { return }  // an empty file, or past the end: nothing to fetch
        var attempt = 0
        while true {
            let url = try Self.link(c, id: known.id, path: path)
            switch try RangedRead.open(c.http, url: url, offset: offset, length: length, what: "read '\(path)'") {
            case .body(let read):
                body = read
                return
            case .empty: return
            case .refused(let response) where response.status == 403 && attempt < 2:
                // Expired between the answer and the request, or revoked: a fresh link.
                attempt += 1
            case .refused(let response): throw PikPakErrors.failure("read '\(path)'", response)
            }
        }
    }

    /// The download link of file `id`, waiting (up to a minute) while the server has none yet.
    static func link(_ c: PikPakConnector, id: String, path: String) throws -> String {
        var waited = 0.0
        while true {
            let file = try c.drive("GET", "/files/\(id)", query: [("usage", "FETCH")])
            let links = file["links"] as? [String: Any]
            let original = links?["application/octet-stream"] as? [String: Any]
            if let url = original?["url"] as? String, !url.isEmpty, secondsLeft(url) ?? 3600 > 10 { return url }
            if let url = file["web_content_link"] as? String, !url.isEmpty, secondsLeft(url) ?? 3600 > 10 { return url }
            guard waited < 60 else {
                throw ConnectorFailure(.transient, "read '\(path)': PikPak has no download link for it yet")
            }
            try c.host.checkCancelled()
            Thread.sleep(forTimeInterval: 2)
            waited += 2
        }
    }

    /// Seconds until a link's `expire=` (unix seconds) passes; nil when it carries none.
    static func secondsLeft(_ url: String) -> Double? {
        guard let query = url.split(separator: "?", maxSplits: 1).last else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("expire=") {
            if let expiry = Double(pair.dropFirst("expire=".count)) { return expiry - Date().timeIntervalSince1970 }
        }
        return nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try body?.read(into: buffer) ?? 0 }

    func close() { body?.close() }
}

extension PikPakConnector: ReadByID {
    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        let known = try resolve(path)
        guard !known.isFolder else { throw ConnectorFailure(.isADirectory, "pikpak: '\(path)' is a folder") }
        return try PikPakReader(connector: self, path: path, known: known, offset: offset, length: length)
    }

    /// Reading by the id a listing entry carried, without resolving a path.
    func openReader(id: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        let file = try drive("GET", "/files/\(id)")
        let known = known(file)
        guard !known.isFolder else { throw ConnectorFailure(.isADirectory, "pikpak: '\(id)' is a folder") }
        return try PikPakReader(connector: self, path: "file \(id)", known: known, offset: offset, length: length)
    }
}
