import ConnectorKit
import Foundation

nonisolated(unsafe) private var motoPID: pid_t = 0

/// moto's S3 server (`moto_server`, from `pip install 'moto[server]'`), started on 127.0.0.1 on a
/// free port for the tests and stopped after them. One per process; tests use buckets of their own.
final class MotoServer: @unchecked Sendable {
    let port: Int
    let process: Process
    var endpoint: String { "http://127.0.0.1:\(port)" }
    static let accessKey = "sync-core-test-key"
    static let secret = "sync-core-test-secret/DO-NOT-LOG"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var running: MotoServer?

    /// The process-wide server, started on first use.
    static func shared() throws -> MotoServer {
        lock.lock()
        defer { lock.unlock() }
        if let running { return running }
        let server = try MotoServer()
        running = server
        // Foundation's waitUntilExit needs a run loop that is gone by then: plain system calls.
        motoPID = server.process.processIdentifier
        atexit {
            guard motoPID > 0 else { return }
            // SIGKILL: moto inherits the blocked SIGTERM of the dispatch thread that spawned it.
            kill(motoPID, SIGKILL)
            var status: Int32 = 0
            waitpid(motoPID, &status, 0)
        }
        return server
    }

    private init() throws {
        port = try Self.freePort()
        process = Process()
        let executable =
            ["/usr/local/bin/moto_server", "/usr/bin/moto_server"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            ?? Self.which("moto_server")
        guard let executable else {
            throw MotoError(description: "moto_server not found; `make test` installs it (pip install 'moto[server]')")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        var env = ProcessInfo.processInfo.environment
        // Parts are at least 5 MiB, as on AWS; nothing persists.
        env["MOTO_S3_DEFAULT_MAX_KEYS"] = nil
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let response = try? HTTPClient().send(HTTPRequest("GET", endpoint + "/")), response.status < 500 {
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        kill(process.processIdentifier, SIGKILL)
        throw MotoError(description: "moto_server did not answer on port \(port) within 30 s")
    }

    struct MotoError: Error, CustomStringConvertible { let description: String }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func freePort() throws -> Int {
        let (fd, port) = try Loopback.bind()
        close(fd)
        return port
    }

    /// A signed request straight to the server, for checks the connector does not offer.
    func send(_ method: String, bucket: String?, key: String = "", query: [(String, String)] = []) throws
        -> HTTPResponse
    {
        let signer = SigV4Signer(
            credentials: .init(accessKeyID: Self.accessKey, secretAccessKey: Self.secret), region: "us-east-1")
        var path = "/"
        if let bucket { path += SigV4Signer.encode(bucket) + (key.isEmpty ? "" : SigV4Signer.encodePath(key)) }
        let host = "127.0.0.1:\(port)"
        let signed = signer.sign(
            method: method, host: host, path: path, query: query, headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Date())
        let q = SigV4Signer.canonicalQuery(query)
        return try HTTPClient().send(
            HTTPRequest(
                method, "http://\(host)\(path)" + (q.isEmpty ? "" : "?" + q), headers: signed.headers, pathAsIs: true))
    }

    /// Keys of the multipart uploads still open in `bucket`.
    func openUploads(in bucket: String) throws -> [String] {
        let response = try send("GET", bucket: bucket, query: [("uploads", "")])
        guard response.isSuccess else { throw MotoError(description: "ListMultipartUploads: \(response.status)") }
        return try XMLTree.parse(response.body).all("Upload").compactMap { $0.value("Key") }
    }

    func makeBucket(_ name: String) throws {
        let response = try send("PUT", bucket: name)
        guard response.isSuccess else { throw MotoError(description: "CreateBucket \(name): \(response.status)") }
    }

    /// An object's bytes and headers, or nil.
    func object(_ bucket: String, _ key: String) throws -> HTTPResponse? {
        let response = try send("GET", bucket: bucket, key: key)
        return response.status == 404 ? nil : response
    }

    /// Every key in `bucket`.
    func keys(in bucket: String) throws -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query = [("list-type", "2")]
            if let token { query.append(("continuation-token", token)) }
            let tree = try XMLTree.parse(try send("GET", bucket: bucket, query: query).body)
            keys += tree.all("Contents").compactMap { $0.value("Key") }
            token = tree.value("NextContinuationToken")
        } while token != nil
        return keys
    }

    static func uniqueBucket(_ label: String) -> String {
        "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
