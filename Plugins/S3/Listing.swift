import ConnectorKit
import Foundation

/// One page of ListObjectsV2, keys and prefixes already URL-decoded.
struct S3ListPage {
    struct Object {
        var key: String
        var size: Int64
        var etag: String?
    }
    var keys: [Object] = []
    var prefixes: [String] = []
    var nextToken: String?
}

extension S3Connector {
    /// `GET /bucket?list-type=2` with `encoding-type=url` (XML cannot carry every byte a key may hold).
    func listPage(bucket: String, prefix: String, delimiter: String?, maxKeys: Int, token: String?) throws
        -> S3ListPage
    {
        var query = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", String(maxKeys))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let token { query.append(("continuation-token", token)) }
        let response = try expect(
            Call(method: "GET", bucket: bucket, query: query), "list '\(bucket)/\(prefix)'")
        let tree: XMLTree
        do {
            tree = try XMLTree.parse(response.body)
        } catch {
            throw ConnectorFailure(.transient, "list '\(bucket)/\(prefix)': unreadable answer (\(error))")
        }
        let encoded = tree.value("EncodingType") == "url"
        func decode(_ s: String) -> String { encoded ? Self.urlDecode(s) : s }
        var page = S3ListPage()
        for item in tree.all("Contents") {
            guard let key = item.value("Key") else { continue }
            page.keys.append(
                .init(key: decode(key), size: Int64(item.value("Size") ?? "") ?? 0, etag: item.value("ETag")))
        }
        for item in tree.all("CommonPrefixes") {
            if let p = item.value("Prefix") { page.prefixes.append(decode(p)) }
        }
        if tree.value("IsTruncated") == "true" {
            guard let next = tree.value("NextContinuationToken"), !next.isEmpty else {
                throw ConnectorFailure(.transient, "list '\(bucket)/\(prefix)': truncated page without a continuation")
            }
            page.nextToken = next
        }
        return page
    }

    /// Form decoding as botocore does it: '+' is a space, then %XX (AWS may send either for a space).
    static func urlDecode(_ s: String) -> String {
        guard s.contains("%") || s.contains("+") else { return s }
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), bytes.count >= 2,
                let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
            {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A name a path can hold; others (empty, `.`, `..`, keys with `//` or NUL) are reported and skipped.
    func usable(_ name: String, under prefix: String) -> Bool {
        if name.isEmpty || name == "." || name == ".." || name.utf8.contains(0) {
            host.log(.warn, "s3: skipping key '\(prefix)\(name)': it cannot be a path here")
            return false
        }
        return true
    }

    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let location = try locate(dir)
        guard let bucket = location.bucket else { return try listBuckets(emit) }
        let prefix = location.folderPrefix
        var names: [[UInt8]: S3KnownNames.Kind] = [:]
        var sawAnything = false
        var token: String?
        repeat {
            try host.checkCancelled()
            let page = try listPage(bucket: bucket, prefix: prefix, delimiter: "/", maxKeys: pageSize, token: token)
            token = page.nextToken
            for object in page.keys {
                sawAnything = true
                // The folder's own marker.
                if object.key == prefix { continue }
                let name = String(object.key.utf8.dropFirst(prefix.utf8.count))!
                guard usable(name, under: prefix) else { continue }
                names[Array(name.utf8)] = .file
                var hashes: [HashKind: String] = [:]
                if let md5 = S3Hashes.md5(fromETag: object.etag, encrypted: encryptedETags) { hashes[.md5] = md5 }
                // Listings carry no user metadata, so no mtime: a stat (HEAD) reads it.
                try emit(
                    ConnectorEntry(path: S3Path.join(dir, name), isDirectory: false, size: object.size, hashes: hashes))
            }
            for folder in page.prefixes {
                sawAnything = true
                let name = String(folder.utf8.dropFirst(prefix.utf8.count).dropLast())!
                guard usable(name, under: prefix) else { continue }
                names[Array(name.utf8)] = .folder
                try emit(ConnectorEntry(path: S3Path.join(dir, name), isDirectory: true))
            }
        } while token != nil
        if !sawAnything && !location.key.isEmpty { throw try nothingListed(location, dir) }
        if !sawAnything, try !bucketExists(bucket) {
            throw ConnectorFailure(.notFound, "list '\(dir)': bucket '\(bucket)' does not exist")
        }
        known.remember(dir, names)
    }

    /// Every key under `dir` in pages of 1000 without a delimiter: one request per 1000 files
    /// however deep the tree. Folders are derived from the keys (and markers), each emitted once.
    func listRecursive(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let location = try locate(dir)
        guard let bucket = location.bucket else {
            var buckets: [String] = []
            try listBuckets { buckets.append($0.path) }
            for b in buckets {
                try emit(ConnectorEntry(path: b, isDirectory: true))
                try listRecursive(b, emit)
            }
            return
        }
        let prefix = location.folderPrefix
        var folders = Set<[UInt8]>()
        var sawAnything = false
        var token: String?
        repeat {
            try host.checkCancelled()
            let page = try listPage(bucket: bucket, prefix: prefix, delimiter: nil, maxKeys: pageSize, token: token)
            token = page.nextToken
            keys: for object in page.keys {
                sawAnything = true
                let relative = String(object.key.utf8.dropFirst(prefix.utf8.count))!
                if relative.isEmpty { continue }
                let isMarker = relative.hasSuffix("/")
                let parts = (isMarker ? String(relative.dropLast()) : relative).split(
                    separator: "/", omittingEmptySubsequences: false)
                for part in parts where !usable(String(part), under: prefix) { continue keys }
                var path = dir
                for (i, part) in parts.enumerated() {
                    path = S3Path.join(path, String(part))
                    if i < parts.count - 1 || isMarker {
                        if folders.insert(Array(path.utf8)).inserted {
                            try emit(ConnectorEntry(path: path, isDirectory: true))
                        }
                    } else {
                        var hashes: [HashKind: String] = [:]
                        if let md5 = S3Hashes.md5(fromETag: object.etag, encrypted: encryptedETags) {
                            hashes[.md5] = md5
                        }
                        try emit(ConnectorEntry(path: path, isDirectory: false, size: object.size, hashes: hashes))
                    }
                }
            }
        } while token != nil
        if !sawAnything && !location.key.isEmpty { throw try nothingListed(location, dir) }
    }

    /// Why a prefix listed nothing: a file of that name, or nothing at all.
    private func nothingListed(_ location: S3Location, _ dir: String) throws -> ConnectorFailure {
        if try head(location, dir) != nil { return ConnectorFailure(.notADirectory, "list '\(dir)': not a folder") }
        return ConnectorFailure(.notFound, "list '\(dir)': not found")
    }

    /// The account's buckets, as the root's folders (accounts without a fixed bucket).
    func listBuckets(_ emit: (ConnectorEntry) throws -> Void) throws {
        let response = try expect(Call(method: "GET", bucket: nil), "list buckets")
        guard let tree = try? XMLTree.parse(response.body) else {
            throw ConnectorFailure(.transient, "list buckets: unreadable answer")
        }
        for bucket in tree.child("Buckets")?.all("Bucket") ?? [] {
            if let name = bucket.value("Name"), !name.isEmpty {
                try emit(ConnectorEntry(path: name, isDirectory: true))
            }
        }
    }
}
