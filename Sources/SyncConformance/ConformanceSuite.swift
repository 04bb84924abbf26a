import Foundation
import SyncHashes
import SyncHost

/// Drives any connector through the ABI contract. Every check runs in its own folder under a
/// scratch folder, which the suite creates and removes. Used by `swift test` for the connectors in
/// this repository and by `sync-core plugin test` for third-party ones.
public final class ConformanceSuite: Sendable {
    public struct Result: Sendable {
        public let name: String
        /// nil: passed. "skipped: …" results are neither passes nor failures.
        public let failure: String?
        public let skipped: String?
        public let seconds: Double
        public var passed: Bool { failure == nil }
    }

    public let session: Session
    public let scratch: String
    var plugin: Plugin { session.plugin }

    /// `scratch` is a folder (relative to the account root) that must not exist yet.
    public init(session: Session, scratch: String) {
        self.session = session
        self.scratch = scratch
    }

    public static func scratchName() -> String {
        "sync-core-conformance-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    public var checkNames: [String] { ConformanceSuite.checks.map(\.name) }

    /// Runs every check (or those named in `only`), reporting each result as it completes.
    public func run(only: Set<String>? = nil, report: (Result) -> Void = { _ in }) -> [Result] {
        var results: [Result] = []
        do {
            guard try session.statIfExists(scratch) == nil else {
                let r = Result(
                    name: "setup", failure: "scratch folder '\(scratch)' already exists", skipped: nil, seconds: 0)
                report(r)
                return [r]
            }
            try session.mkdir(scratch)
        } catch {
            let r = Result(
                name: "setup", failure: "cannot create scratch folder '\(scratch)': \(error)", skipped: nil, seconds: 0)
            report(r)
            return [r]
        }
        for check in ConformanceSuite.checks where only?.contains(check.name) ?? true {
            let dir = scratch + "/" + check.name
            let start = Date()
            var failure: String?
            var skipped: String?
            do {
                try session.mkdir(dir)
                try check.body(Context(suite: self, dir: dir))
            } catch let skip as Skip {
                skipped = skip.reason
            } catch {
                failure = String(describing: error)
            }
            let r = Result(
                name: check.name, failure: failure, skipped: skipped, seconds: Date().timeIntervalSince(start))
            report(r)
            results.append(r)
        }
        do {
            try removeTree(scratch)
        } catch {
            let r = Result(
                name: "cleanup", failure: "cannot remove scratch folder '\(scratch)': \(error)", skipped: nil,
                seconds: 0)
            report(r)
            results.append(r)
        }
        return results
    }

    /// Depth-first removal through the ABI (files, then empty folders).
    func removeTree(_ path: String) throws {
        var dirs: [String] = []
        var files: [String] = []
        try session.list(path) { entry in
            if entry.isDirectory { dirs.append(entry.path) } else { files.append(entry.path) }
        }
        for file in files { try session.remove(file) }
        for dir in dirs { try removeTree(dir) }
        try session.rmdir(path)
    }
}

/// A check that does not apply to this connector.
struct Skip: Error { let reason: String }

/// A failed expectation, with what was expected.
struct CheckFailure: Error, CustomStringConvertible { let description: String }

struct Check: Sendable {
    let name: String
    let body: @Sendable (Context) throws -> Void
}
