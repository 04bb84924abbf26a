import Foundation

/// Where an emulator keeps file contents: one immutable file per blob in a private temporary
/// folder, removed when the emulator stops. Copies share a blob through a hard link, so removing
/// one copy never harms another.
public final class BlobStore: Sendable {
    public let folder: String

    public init(prefix: String) throws {
        folder = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// A path for a new blob (nothing is created).
    public func newPath() -> String { folder + "/" + UUID().uuidString }

    /// A blob holding `bytes`.
    public func create(_ bytes: [UInt8]) -> String {
        let path = newPath()
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Another name for `blob` (a copy that costs no bytes); nil when the link fails.
    public func link(_ blob: String) -> String? {
        let path = newPath()
        return Foundation.link(blob, path) == 0 ? path : nil
    }

    public func remove(_ blob: String) { unlink(blob) }

    public func removeAll() { try? FileManager.default.removeItem(atPath: folder) }
}

/// Path patterns for routes: `*` matches one segment and is captured.
public enum RoutePattern {
    public static func match(_ path: [String], _ pattern: String) -> [String]? {
        let want = pattern.split(separator: "/").map(String.init)
        guard want.count == path.count else { return nil }
        var captured: [String] = []
        for (w, p) in zip(want, path) {
            if w == "*" { captured.append(p) } else if w != p { return nil }
        }
        return captured
    }
}

/// An emulator served by one `EmulatorServer` on 127.0.0.1, keeping file contents in a
/// `BlobStore`: starting, stopping and its address are the same for every provider.
public protocol ServedEmulator: EmulatorRoutes {
    var server: EmulatorServer { get }
    var blobs: BlobStore { get }
}

extension ServedEmulator {
    /// Starts listening on 127.0.0.1 (`port` 0 picks a free one) and returns the port.
    @discardableResult
    public func start(port: Int = 0) throws -> Int {
        try server.start(routes: self, port: port)
        return server.port
    }

    public var port: Int { server.port }
    /// The base URL every host of the provider is played at.
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Stops serving and removes the blobs.
    public func stop() {
        server.stop()
        blobs.removeAll()
    }
}
