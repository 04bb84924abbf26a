import ConnectorKit
import Foundation

/// "mirror": a folder on disk, written with Foundation only — the smallest complete connector.
/// Writes land in a hidden temporary file and are renamed into place; SHA-256 is computed while
/// writing, so the host can verify what arrived.
final class MirrorConnector: Connector, @unchecked Sendable {
    static let info = ConnectorInfo(
        name: "mirror", version: "0.1.0", summary: "Example: a folder on disk, written with Foundation",
        capabilities: [.rangedRead, .unknownSize, .atomicWrite, .emptyDirectories],
        hashKinds: [.sha256],
        options: [.init("folder", .path, required: true, help: "Absolute path of the folder to mirror into")])

    let base: URL
    let files = FileManager()

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        let folder = try config.requireString("folder")
        var isDir: ObjCBool = false
        guard folder.hasPrefix("/"), files.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw ConnectorFailure(.invalidArgument, "option 'folder' must name an existing folder by absolute path")
        }
        base = URL(fileURLWithPath: folder, isDirectory: true)
    }

    /// Refuses anything that could leave the folder.
    func url(_ path: String) throws -> URL {
        if path.isEmpty { return base }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw ConnectorFailure(.invalidArgument, "path '\(path)' is not allowed")
        }
        return base.appendingPathComponent(path)
    }

    /// nil: missing; true: folder; false: file.
    func kind(_ url: URL) -> Bool? {
        var isDir: ObjCBool = false
        return files.fileExists(atPath: url.path, isDirectory: &isDir) ? isDir.boolValue : nil
    }

    func entry(_ path: String, _ url: URL) throws -> ConnectorEntry {
        guard let isDir = kind(url) else { throw ConnectorFailure(.notFound, "'\(path)' not found") }
        let attributes = try files.attributesOfItem(atPath: url.path)
        let mtime = (attributes[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970 * 1e9) }
        return ConnectorEntry(
            path: path, isDirectory: isDir, size: (attributes[.size] as? NSNumber)?.int64Value, mtimeNanoseconds: mtime)
    }

    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws {
        let folder = try url(dir)
        guard let isDir = kind(folder) else { throw ConnectorFailure(.notFound, "'\(dir)' not found") }
        guard isDir else { throw ConnectorFailure(.notADirectory, "'\(dir)' is a file") }
        for name in try files.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".mirror-partial-") {
            let path = dir.isEmpty ? name : dir + "/" + name
            try emit(try entry(path, folder.appendingPathComponent(name)))
        }
    }

    func stat(_ path: String) throws -> ConnectorEntry { try entry(path, try url(path)) }

    func mkdir(_ path: String) throws {
        let target = try url(path)
        if kind(target) == false { throw ConnectorFailure(.exists, "a file is in the way of '\(path)'") }
        try files.createDirectory(at: target, withIntermediateDirectories: true)
    }

    func remove(_ path: String) throws {
        let target = try url(path)
        switch kind(target) {
        case nil: throw ConnectorFailure(.notFound, "'\(path)' not found")
        case true?: throw ConnectorFailure(.isADirectory, "'\(path)' is a folder")
        case false?: try files.removeItem(at: target)
        }
    }

    func rmdir(_ path: String) throws {
        let target = try url(path)
        guard !path.isEmpty else { throw ConnectorFailure(.invalidArgument, "refusing to remove the root") }
        guard let isDir = kind(target) else { throw ConnectorFailure(.notFound, "'\(path)' not found") }
        guard isDir else { throw ConnectorFailure(.notADirectory, "'\(path)' is a file") }
        guard try files.contentsOfDirectory(atPath: target.path).isEmpty else {
            throw ConnectorFailure(.notEmpty, "'\(path)' is not empty")
        }
        try files.removeItem(at: target)
    }

    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader {
        let source = try url(path)
        guard let isDir = kind(source) else { throw ConnectorFailure(.notFound, "'\(path)' not found") }
        guard !isDir else { throw ConnectorFailure(.isADirectory, "'\(path)' is a folder") }
        return try MirrorReader(try FileHandle(forReadingFrom: source), offset: offset, length: length)
    }

    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter {
        let target = try url(path)
        guard !path.isEmpty else { throw ConnectorFailure(.isADirectory, "the root is a folder") }
        if kind(target) == true { throw ConnectorFailure(.isADirectory, "a folder is in the way of '\(path)'") }
        if kind(target) == false && !options.replace { throw ConnectorFailure(.exists, "'\(path)' already exists") }
        try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(
            ".mirror-partial-\(UUID().uuidString)")
        guard files.createFile(atPath: temporary.path, contents: nil) else {
            throw ConnectorFailure(.permission, "cannot create a file beside '\(path)'")
        }
        return MirrorWriter(
            path: path, target: target, temporary: temporary, handle: try FileHandle(forWritingTo: temporary),
            options: options, connector: self)
    }
}

final class MirrorReader: ConnectorReader {
    let handle: FileHandle
    var remaining: Int64?

    init(_ handle: FileHandle, offset: Int64, length: Int64?) throws {
        self.handle = handle
        remaining = length
        try handle.seek(toOffset: UInt64(offset))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = min(buffer.count, Int(remaining ?? Int64(buffer.count)))
        guard want > 0, let data = try handle.read(upToCount: want), !data.isEmpty else { return 0 }
        data.copyBytes(to: buffer)
        remaining = remaining.map { $0 - Int64(data.count) }
        return data.count
    }

    func close() { try? handle.close() }
}

final class MirrorWriter: ConnectorWriter {
    let path: String, target: URL, temporary: URL, handle: FileHandle, options: WriteOptions
    let connector: MirrorConnector
    var written: Int64 = 0
    var hasher: MultiHasher
    var open = true

    init(
        path: String, target: URL, temporary: URL, handle: FileHandle, options: WriteOptions, connector: MirrorConnector
    ) {
        (self.path, self.target, self.temporary, self.handle, self.options, self.connector) = (
            path, target, temporary, handle, options, connector
        )
        hasher = MultiHasher(options.wantHashes.intersection([.sha256]))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let size = options.size, written + Int64(bytes.count) > size {
            throw ConnectorFailure(.invalidArgument, "more than the declared \(size) bytes for '\(path)'")
        }
        try handle.write(contentsOf: Data(bytes))
        hasher.update(bytes)
        written += Int64(bytes.count)
    }

    func finish() throws -> ConnectorEntry {
        defer { abort() }
        if let size = options.size, size != written {
            throw ConnectorFailure(.invalidArgument, "got \(written) of the declared \(size) bytes for '\(path)'")
        }
        try handle.close()
        open = false
        if connector.kind(target) != nil && !options.replace {
            throw ConnectorFailure(.exists, "'\(path)' appeared meanwhile")
        }
        guard rename(temporary.path, target.path) == 0 else { throw ConnectorFailure.posix(errno, "rename", path) }
        var entry = try connector.entry(path, target)
        entry.hashes = hasher.finalize()
        return entry
    }

    func abort() {
        if open { try? handle.close() }
        open = false
        try? FileManager.default.removeItem(at: temporary)
    }
}

@_cdecl("sync_connector_entry")
public func syncConnectorEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    exportConnector(MirrorConnector.self, hostMajor: major, hostMinor: minor)
}
