import Foundation

/// Direct access to an account's tree for seeding and for tests' checks, bypassing HTTP.
extension PutioEmulator {
    /// Creates `path`'s missing folders and returns the id of the last one.
    @discardableResult
    public func makeFolders(_ path: String, in account: String) -> Int64 {
        withLock { folderId(path, accounts[account]!, create: true)! }
    }

    func folderId(_ path: String, _ a: PutioAccount, create: Bool) -> Int64? {
        var parent: Int64 = 0
        for name in path.split(separator: "/").map(String.init) {
            if let existing = a.child(of: parent, named: name), existing.isFolder {
                parent = existing.id
            } else if create {
                let folder = PutioNode(id: newId(), parentId: parent, name: name, isFolder: true, now: clock())
                a.add(folder)
                parent = folder.id
            } else {
                return nil
            }
        }
        return parent
    }

    /// Stores a file with `contents` at `path` (folders created), beside any same-named file.
    @discardableResult
    public func addFile(_ path: String, contents: [UInt8], in account: String, modified: Date? = nil) -> Int64 {
        let blob = newBlobPath()
        _ = FileManager.default.createFile(atPath: blob, contents: Data(contents))
        let crc = contents.withUnsafeBytes { PutioCRC.hex(PutioCRC.update(0, $0)) }
        return addBlob(path, blob: blob, size: Int64(contents.count), crc: crc, in: account, modified: modified)
    }

    /// Stores a file of `size` pseudo-random bytes (deterministic for a seed), written in chunks.
    @discardableResult
    public func addGeneratedFile(_ path: String, size: Int64, seed: UInt64, in account: String, modified: Date? = nil)
        -> Int64
    {
        let blob = newBlobPath()
        _ = FileManager.default.createFile(atPath: blob, contents: nil)
        let handle = FileHandle(forWritingAtPath: blob)!
        var state = seed | 1
        var crc: UInt = 0
        var left = size
        var chunk = [UInt64](repeating: 0, count: 1 << 17)
        while left > 0 {
            for i in chunk.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                chunk[i] = state
            }
            let n = Int(min(left, Int64(chunk.count * 8)))
            chunk.withUnsafeBytes { raw in
                let part = UnsafeRawBufferPointer(rebasing: raw.prefix(n))
                crc = PutioCRC.update(crc, part)
                handle.write(Data(part))
            }
            left -= Int64(n)
        }
        try? handle.close()
        return addBlob(path, blob: blob, size: size, crc: PutioCRC.hex(crc), in: account, modified: modified)
    }

    private func addBlob(_ path: String, blob: String, size: Int64, crc: String, in account: String, modified: Date?)
        -> Int64
    {
        withLock {
            let a = accounts[account]!
            let parts = path.split(separator: "/").map(String.init)
            let parent = folderId(parts.dropLast().joined(separator: "/"), a, create: true)!
            let node = PutioNode(
                id: newId(), parentId: parent, name: parts.last!, isFolder: false, size: size, crc32: crc, blob: blob,
                now: clock())
            if let modified { node.updatedAt = Int64(modified.timeIntervalSince1970) }
            a.add(node)
            return node.id
        }
    }

    /// Every file and folder of an account, parents first. A list, not a dictionary: String keys
    /// would merge NFC and NFD spellings that the store keeps apart.
    public func tree(of account: String) -> [PutioTreeEntry] {
        withLock {
            guard let a = accounts[account] else { return [] }
            var out: [PutioTreeEntry] = []
            func walk(_ id: Int64, _ prefix: String) {
                for childId in a.children[id] ?? [] {
                    guard let n = a.nodes[childId] else { continue }
                    let path = prefix.isEmpty ? n.name : prefix + "/" + n.name
                    out.append(PutioTreeEntry(path: path, isFolder: n.isFolder, size: n.size, crc32: n.crc32))
                    if n.isFolder { walk(n.id, path) }
                }
            }
            walk(0, "")
            return out
        }
    }

    /// The node at `path` (the oldest when names repeat); call under the lock.
    func nodeAt(_ path: String, in account: String) -> PutioNode? {
        guard let a = accounts[account] else { return nil }
        var parent: Int64 = 0
        var found: PutioNode?
        for name in path.split(separator: "/").map(String.init) {
            guard let n = a.child(of: parent, named: name) else { return nil }
            found = n
            parent = n.id
        }
        return found
    }

    /// A file's bytes (the first with that path when names repeat).
    public func contents(of path: String, in account: String) -> [UInt8]? {
        let blob = withLock { nodeAt(path, in: account)?.blob }
        return blob.flatMap { FileManager.default.contents(atPath: $0) }.map(Array.init)
    }

    /// The bytes of the MP4 conversion of the file at `path`, if Put.io made one.
    public func mp4Contents(of path: String, in account: String) -> [UInt8]? {
        let blob = withLock { nodeAt(path, in: account)?.mp4Blob }
        return blob.flatMap { FileManager.default.contents(atPath: $0) }.map(Array.init)
    }

    /// Counts of same-named siblings, to check that nothing was duplicated.
    public func duplicateNames(in account: String) -> [String] {
        withLock {
            guard let a = accounts[account] else { return [] }
            var out: [String] = []
            for (parent, ids) in a.children {
                var seen = Set<[UInt8]>()
                for id in ids {
                    guard let n = a.nodes[id] else { continue }
                    if !seen.insert(Array(n.name.utf8)).inserted { out.append("\(parent)/\(n.name)") }
                }
            }
            return out
        }
    }

    /// Makes Put.io's MP4 conversion of the video at `path` (as the "Convert to MP4" button would).
    public func convertToMP4(_ path: String, in account: String) {
        withLock {
            if let found = nodeAt(path, in: account), !found.isFolder { makeMP4(found) }
        }
    }

    /// A media library like the ones users keep on Put.io: series with seasons and subtitles,
    /// films, music, unicode names, an empty folder. `scale` multiplies the sizes (1 ≈ 270 MiB).
    public func seedDemoLibrary(in account: String, scale: Double = 1) {
        let day: TimeInterval = 86400
        let base = Date(timeIntervalSince1970: 1_750_000_000)
        var seed: UInt64 = 7
        func file(_ path: String, _ mb: Double, daysAgo: Double) {
            seed &+= 0x9E37_79B9_7F4A_7C15
            addGeneratedFile(
                path, size: Int64(mb * scale * 1_048_576), seed: seed, in: account,
                modified: base.addingTimeInterval(-daysAgo * day))
        }
        for season in 1...2 {
            for episode in 1...3 {
                let tag = String(format: "S%02dE%02d", season, episode)
                let folder = "Series/The Expanse/Season \(String(format: "%02d", season))"
                file("\(folder)/The.Expanse.\(tag).1080p.mkv", 18 + Double(episode), daysAgo: Double(30 - episode))
                file("\(folder)/The.Expanse.\(tag).en.srt", 0.06, daysAgo: Double(30 - episode))
                file("\(folder)/The.Expanse.\(tag).pt-BR.srt", 0.05, daysAgo: Double(30 - episode))
            }
        }
        file("Series/Dark/Staffel 1/Dark.S01E01.German.1080p.mkv", 22, daysAgo: 12)
        file("Series/Dark/Staffel 1/Dark.S01E01.de.srt", 0.05, daysAgo: 12)
        file("Movies/Amélie (2001)/Amélie.2001.1080p.mkv", 40, daysAgo: 60)
        file("Movies/Amélie (2001)/Amélie.2001.fr.srt", 0.08, daysAgo: 60)
        file("Movies/千と千尋の神隠し (2001)/Spirited.Away.2001.mkv", 38, daysAgo: 90)
        file("Movies/千と千尋の神隠し (2001)/Spirited.Away.2001.ja.srt", 0.07, daysAgo: 90)
        file("Movies/Ñandú — a documentary/Nandu.2019.mp4", 25, daysAgo: 4)
        file("Music/Nils Frahm/Spaces (2013)/01 - An Aborted Beginning.flac", 9, daysAgo: 200)
        file("Music/Nils Frahm/Spaces (2013)/02 - Says.flac", 12, daysAgo: 200)
        file("Music/Nils Frahm/Spaces (2013)/cover.jpg", 0.4, daysAgo: 200)
        file("Books/Neuromancer — William Gibson.pdf", 1.2, daysAgo: 365)
        file("Downloads/ubuntu-24.04-desktop-amd64.iso.torrent", 0.03, daysAgo: 1)
        file("Downloads/notes.txt", 0.001, daysAgo: 1)
        makeFolders("Downloads/incomplete", in: account)
        // Put.io has converted two of the videos to MP4 (for streaming): `video = mp4` accounts take those.
        convertToMP4("Series/Dark/Staffel 1/Dark.S01E01.German.1080p.mkv", in: account)
        convertToMP4("Movies/Amélie (2001)/Amélie.2001.1080p.mkv", in: account)
    }
}

/// One entry of `PutioEmulator.tree(of:)`.
public struct PutioTreeEntry: Sendable {
    public var path: String
    public var isFolder: Bool
    public var size: Int64
    public var crc32: String?
}
