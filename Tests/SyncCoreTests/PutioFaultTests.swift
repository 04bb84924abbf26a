import EmulatorKit
import Foundation
import Testing

@testable import PutioEmulator

/// What real servers' faults did to runs (issue 15), one test each, through the CLI with default
/// settings: every run ends with a byte-identical destination, no duplicate, and nothing reported
/// failed that arrived.
@Suite(.serialized) struct PutioFaultTests {
    /// A mixed tree: small files (single requests), multi-chunk files (tus) and folders.
    func seed(_ e: PutioEmulator, files: Int = 8) {
        for i in 0..<files {
            e.addGeneratedFile(
                "Set/\(i % 3)/file-\(i).bin", size: Int64(30_000 + i * 90_000), seed: UInt64(i + 1), in: "a",
                modified: Date(timeIntervalSince1970: 1_600_000_000 + Double(i)))
        }
        e.addGeneratedFile("Set/big.bin", size: 3 << 20 + 123, seed: 77, in: "a")
        e.addFile("Set/empty.txt", contents: [], in: "a")
    }

    func expectClean(_ run: TestSupport.Output, _ world: PutioWorld) {
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stderr.contains("failed:"), "\(run.stderr)")
        world.expectSameTree()
    }

    @Test func rateLimitsAndServerErrorsOnTheFirstRequestsDoNotEndTheRun() throws {
        let world = try PutioWorld()
        let e = world.emulator
        seed(e, files: 3)
        // The run's first request is the stat of the source root: it, and the next ones, are refused.
        e.setFaults {
            $0.rateLimited = 2
            $0.retryAfterSeconds = 1
        }
        expectClean(try world.cli(["migrate", "putio:a/Set", "putio:b/Set"]), world)
        e.setFaults { f in #expect(f.rateLimited == 0) }

        // The HTTP-date form of Retry-After, then a 503: the same, into a new destination root.
        e.setFaults {
            $0.rateLimited = 1
            $0.retryAfterAsDate = true
            $0.serverErrors = 2
            $0.serverErrorStatus = 503
        }
        let second = try world.cli(["copy", "putio:a/Set", "putio:b/Again"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(e.tree(of: "b").filter { $0.path.hasPrefix("Again/") && !$0.isFolder }.count == 5)
        e.setFaults { f in #expect(f.rateLimited == 0 && f.serverErrors == 0) }
    }

    @Test func aTusPatchAcknowledgedShortIsResentFromTheConfirmedOffset() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        seed(e)
        e.setFaults { $0.shortAcknowledgements = 12 }
        expectClean(try world.cli(["migrate", "putio:a", "putio:b"]), world)
        e.setFaults { f in #expect(f.shortAcknowledgements == 0, "every short acknowledgement was met") }
        // Each upload was created once: the writer continued its own upload, never started over.
        let stats = e.requestStats
        let uploads = e.tree(of: "a").filter { !$0.isFolder }.count
        #expect((stats["tus/post"] ?? 0) + (stats["files/upload"] ?? 0) == uploads, "\(stats)")
        #expect(stats["tus/delete"] == nil, "\(stats)")
    }

    @Test func connectionsClosedBeforeTheAnswerAreResentOrRetried() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        seed(e)
        e.setFaults { $0.droppedRequests = 10 }
        expectClean(try world.cli(["migrate", "putio:a", "putio:b"]), world)
        e.setFaults { f in #expect(f.droppedRequests == 0) }
    }

    @Test func aDownloadBrokenMidwayContinuesWhereItBroke() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        let size: Int64 = 6 << 20
        e.addGeneratedFile("Big/film.mkv", size: size, seed: 5, in: "a")
        // Three downloads cut mid-body, one that ends early while looking complete.
        e.setFaults {
            $0.droppedDownloads = 3
            $0.truncatedDownloads = 1
        }
        e.resetRequestStats()
        expectClean(try world.cli(["migrate", "putio:a", "putio:b"]), world)
        e.setFaults { f in #expect(f.droppedDownloads == 0 && f.truncatedDownloads == 0) }
        // Each break was continued from its offset: the file was read about once, not once per break.
        #expect(e.requestStats["download"] == 5, "\(e.requestStats)")
        #expect(e.servedDownloadBytes < size + size / 4, "\(e.servedDownloadBytes) bytes served for \(size)")
    }

    @Test func aBurstOfServerErrorsLongerThanTheAttemptsIsWaitedOut() throws {
        let world = try PutioWorld()
        let e = world.emulator
        seed(e, files: 6)
        // More consecutive 5xx than one operation has attempts: the run still completes.
        e.setFaults {
            $0.serverErrors = 9
            $0.serverErrorStatus = 502
        }
        expectClean(try world.cli(["migrate", "putio:a", "putio:b", "--retries", "3", "--retry-delay", "0.05"]), world)
        e.setFaults { f in #expect(f.serverErrors == 0) }
    }

    @Test func aCommitAnsweredWithAServerErrorIsFoundInsteadOfFailedOrSentTwice() throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        seed(e)
        // The first commits (folders made, files completed) take effect and are answered 503.
        e.setFaults { $0.errorsAfterCommit = 6 }
        let run = try world.cli(["migrate", "putio:a", "putio:b", "--json"])
        expectClean(run, world)
        e.setFaults { f in #expect(f.errorsAfterCommit == 0) }
        let lines = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.filter { $0["event"] as? String == "failed" }.isEmpty)
        let copied = lines.filter { $0["event"] as? String == "copied" }.count
        #expect(copied == e.tree(of: "a").filter { !$0.isFolder }.count)
    }

    @Test func theSourceIsOpenedBeforeAnUploadIsCreated() throws {
        let world = try PutioWorld()
        let e = world.emulator
        let root = TestSupport.temporaryDirectory("putio-faulty-source")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(repeating: 7, count: 5 << 20).write(to: URL(fileURLWithPath: root + "/large.bin"))
        try Data("small".utf8).write(to: URL(fileURLWithPath: root + "/small.txt"))
        let plugins = try TestSupport.buildFaultyConnector(in: root + "-plugin")
        defer { try? FileManager.default.removeItem(atPath: root + "-plugin") }
        var env = ["SYNC_CORE_PLUGIN_PATH": plugins, "SYNC_CORE_STATE": world.state]
        let added = try TestSupport.cli(
            ["account", "add", "faulty", "src", "--set", "root=\(root)"], home: world.home, environment: env)
        #expect(added.status == 0, "\(added.stderr)")
        env["FAULTY_NO_READS"] = "1"
        e.resetRequestStats()
        let run = try TestSupport.cli(["migrate", "faulty:src", "putio:b/In"], home: world.home, environment: env)
        #expect(run.status == 1)
        #expect(run.stderr.contains("read of 'large.bin' attempted"), "\(run.stderr)")
        // No upload was created only to be deleted again, and none is left on the server.
        let stats = e.requestStats
        #expect(stats["tus/post"] == nil && stats["tus/delete"] == nil && stats["files/upload"] == nil, "\(stats)")
        #expect(e.pendingUploads(of: "b") == 0)
    }

    /// Issue 15's bar: every fault at once, at a bad day's rates, and the default settings.
    @Test(arguments: [15, 16, 17] as [UInt64])
    func aMigrationThroughEveryFaultAtOnceCompletesInOneRun(faultSeed: UInt64) throws {
        let world = try PutioWorld(chunkSize: 1 << 20)
        let e = world.emulator
        seed(e, files: 24)
        e.addGeneratedFile("Set/bigger.bin", size: 5 << 20 + 7, seed: 78, in: "a")
        e.setFaults {
            $0.rates = .badDay
            $0.seed = faultSeed
        }
        let run = try world.cli(["migrate", "putio:a", "putio:b"])
        e.setFaults { $0.rates = FaultRates() }
        expectClean(run, world)
        let check = try world.cli(["check", "putio:a", "putio:b"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}
