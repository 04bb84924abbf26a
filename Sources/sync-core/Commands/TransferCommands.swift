import ArgumentParser
import Foundation
import SyncConfig
import SyncCore
import SyncHost
import SyncState
import Synchronization

/// Flags shared by copy, sync and check.
struct TransferOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Source: CONNECTOR:ACCOUNT[/path], local:/path or a local path.")
    var source: String

    @Argument(help: "Destination, in the same forms.")
    var destination: String

    @Option(help: "Files transferred at once.")
    var transfers = 4

    @Option(
        name: .customLong("source-transfers"),
        help: "At most this many transfers on the source account at once (default: its max_transfers setting).")
    var sourceTransfers: Int?

    @Option(
        name: .customLong("destination-transfers"),
        help: "At most this many transfers on the destination account at once (default: its max_transfers).")
    var destinationTransfers: Int?

    @Option(help: "Files compared at once by check.")
    var checkers = 8

    @Option(help: "Attempts per file for temporary failures, rate limits and failed verification.")
    var retries = 5

    @Option(
        name: .customLong("retry-delay"),
        help: "First backoff after a temporary failure, in seconds (doubles per attempt).")
    var retryDelay = 0.5

    @Option(
        name: .customLong("retry-budget"),
        help: """
            Past --retries, keep retrying for up to this many seconds while an account answers \
            nothing at all (a server's bad minute, a NAS rebooting); 0 stops at --retries.
            """)
    var retryBudget = RetryPolicy().budget

    @Flag(name: .customLong("dry-run"), help: "Report what would be done; change nothing.")
    var dryRun = false

    @Flag(help: "One JSON object per event on standard output, then one for the summary.")
    var json = false

    @Flag(
        inversion: .prefixedNo,
        help:
            "Show live progress (default: when standard error is a terminal); with --json, a progress event each second."
    )
    var progress: Bool?

    @Option(help: "Limit the total transfer rate, bytes per second (10M, 500k).")
    var bwlimit: String?

    @Option(
        name: .customLong("spill-after"),
        help: """
            Entries of one folder's listing kept in memory; a bigger folder is sorted on disk, in \
            $TMPDIR or else /var/tmp.
            """)
    var spillAfter = SyncOptions.defaultSpillAfter

    @OptionGroup(title: "Filters") var filters: FilterOptions

    func run(_ mode: SyncOptions.Mode, configure: (inout SyncOptions) -> Void = { _ in }) throws {
        try reportingErrors {
            guard transfers >= 1 && transfers <= 256 else { throw ConfigError("--transfers must be between 1 and 256") }
            guard retries >= 1 else { throw ConfigError("--retries must be at least 1") }
            guard spillAfter >= 1 else { throw ConfigError("--spill-after must be at least 1") }
            guard checkers >= 1 && checkers <= 256 else { throw ConfigError("--checkers must be between 1 and 256") }
            guard retryDelay >= 0 && retryDelay.isFinite else {
                throw ConfigError("--retry-delay must not be negative")
            }
            guard retryBudget >= 0 && retryBudget.isFinite else {
                throw ConfigError("--retry-budget must not be negative")
            }
            let filter = try filters.makeFilter()
            let limit = try bwlimit.map(Filter.parseSize)
            if let limit, limit < 1 { throw ConfigError("--bwlimit must be at least 1 byte per second") }
            let resolver = try global.resolver()
            let sourceSpec = try RemoteSpec.parse(source)
            let destinationSpec = try RemoteSpec.parse(destination)
            var options = SyncOptions(mode: mode)
            options.retry.attempts = retries
            options.retry.baseDelay = retryDelay
            options.retry.budget = retryBudget
            let sourceSession = try resolver.open(sourceSpec, retry: options.retry)
            defer { sourceSession.close() }
            let destinationSession = try resolver.open(destinationSpec, retry: options.retry)
            defer { destinationSession.close() }
            options.transfers = transfers
            for limit in [sourceTransfers, destinationTransfers].compactMap({ $0 }) where limit < 1 || limit > 256 {
                throw ConfigError("--source-transfers and --destination-transfers must be between 1 and 256")
            }
            options.sourceTransfers = try sourceTransfers ?? resolver.transferLimit(for: sourceSpec)
            options.destinationTransfers = try destinationTransfers ?? resolver.transferLimit(for: destinationSpec)
            options.dryRun = dryRun
            options.checkers = checkers
            options.filter = filter
            options.bandwidthLimit = limit
            options.spillAfter = spillAfter
            options.reportSkipped = json  // only JSON output shows them
            configure(&options)
            // Every run but check is remembered in the history; migrate and move also keep file state.
            var store: StateStore?
            var runID: Int64?
            if mode != .check && !dryRun {
                let opened = try StateStore(path: global.statePath ?? StateStore.defaultPath())
                let job = try opened.job(source: sourceSpec.description, destination: destinationSpec.description)
                if mode == .migrate || mode == .move { options.state = (opened, job) }
                runID = try opened.startRun(job: job, mode: mode.rawValue)
                store = opened
            }
            let json = self.json
            let verbose = global.verbose
            // Live progress: on a terminal by default; with --json, as progress events (asked for).
            let live = (progress ?? (isatty(2) == 1 && !json)) && mode != .check ? TransferProgress() : nil
            let run = SyncRun(
                source: sourceSession, sourcePath: sourceSpec.path, destination: destinationSession,
                destinationPath: destinationSpec.path, options: options, progress: live,
                events: { event in ProgressDisplay.printing { EventPrinter.print(event, json: json, verbose: verbose) }
                })
            if let account = sourceSpec.account { run.sourceAccount = "\(sourceSpec.connector):\(account)" }
            if let account = destinationSpec.account {
                run.destinationAccount = "\(destinationSpec.connector):\(account)"
            }
            run.sameAccount =
                sourceSpec.account != nil && sourceSpec.account == destinationSpec.account
                && sourceSpec.connector == destinationSpec.connector
            InterruptHandler.install()
            let display = live.map { ProgressDisplay($0, json: json) }
            display?.start()
            defer { display?.stop() }
            let summary: SyncSummary
            do {
                summary = try run.run()
            } catch {
                if let store, let runID {
                    var failed = SyncSummary()
                    failed.failures = [("/", "\(error)")]
                    try? store.finishRun(runID, status: "error", counts: failed.runCounts)
                }
                throw error
            }
            if let store, let runID {
                try store.finishRun(runID, status: summary.succeeded ? "ok" : "failed", counts: summary.runCounts)
            }
            display?.stop()
            SummaryPrinter.print(summary, mode: mode, dryRun: dryRun, json: json)
            if summary.wasInterrupted { throw ExitCode(130) }
            if !summary.succeeded { throw ExitCode(1) }
        }
    }
}

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "Copy new and changed files from source to destination; delete nothing.",
        discussion: "Exit codes: 0 everything copied; 1 some files failed (listed in the summary); 2 bad input.")
    @OptionGroup var transfer: TransferOptions
    func run() throws { try transfer.run(.copy) }
}

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Make the destination mirror the source, deleting what the source lacks.",
        discussion: """
            Deletions happen only after every copy succeeded; never when part of the source could not be \
            listed, never when the source is empty (unless --allow-empty-source), and never beyond \
            --max-delete. Deletions not made are reported and make the exit code 1.
            """)
    @OptionGroup var transfer: TransferOptions
    @Option(name: .customLong("max-delete"), help: "Delete nothing if more than this many deletions would be needed.")
    var maxDelete: Int?
    @Flag(name: .customLong("allow-empty-source"), help: "Let an empty source empty the destination.")
    var allowEmptySource = false

    func run() throws {
        if let maxDelete, maxDelete < 0 { throw ValidationError("--max-delete must not be negative") }
        try transfer.run(.sync) {
            $0.maxDelete = maxDelete
            $0.allowEmptySource = allowEmptySource
        }
    }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a whole tree, verified and remembered: incremental next time, resumable after a crash.",
        discussion: """
            Empty folders are kept. What was transferred is recorded in the state database \
            ($SYNC_CORE_STATE or ~/.local/state/sync-core/state.db), so a second run reads no file \
            contents, a killed run resumes without re-sending finished files, and a large upload \
            continues from its last confirmed offset where the destination allows it.
            """)
    @OptionGroup var transfer: TransferOptions
    @Flag(name: .customLong("delete-source"), help: "Delete each source file once its copy is verified (offloading).")
    var deleteSource = false
    func run() throws { try transfer.run(.migrate) { $0.deleteSource = deleteSource } }
}

struct MoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move", abstract: "Move files: each source file is deleted only after its copy was verified.",
        discussion:
            "Source folders are left in place. A file the destination already has is deleted from the source only when a hash proves the copy."
    )
    @OptionGroup var transfer: TransferOptions
    func run() throws { try transfer.run(.move) }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Compare two trees without copying; list every difference.",
        discussion: """
            Files match when a hash both stores report (or can compute) agrees, otherwise when size and \
            modification time agree. Exit code 1 when anything differs.
            """)
    @OptionGroup var transfer: TransferOptions
    func run() throws { try transfer.run(.check) }
}

enum EventPrinter {
    /// Held while a line is written, so lines from several threads never interleave.
    static let output = Mutex(())

    static func print(_ event: SyncEvent, json: Bool, verbose: Bool) {
        output.withLock { _ in printUnlocked(event, json: json, verbose: verbose) }
    }

    private static func printUnlocked(_ event: SyncEvent, json: Bool, verbose: Bool) {
        if json {
            printJSONLine(object(event))
            return
        }
        switch event {
        case .failed(let path, let reason):
            printError("\(path): \(reason)")
        case .resumed(let path, let offset):
            printWarning("\(path): resumed an interrupted upload at \(humanBytes(offset))")
        case .warning(let path, let message):
            printWarning("\(path): \(message)")
        case .differs(let path, let reason):
            Swift.print("differs: \(path): \(reason)")
        case .deletionsSkipped(let count, let reason):
            printWarning("not deleting \(count) extra \(count == 1 ? "entry" : "entries"): \(reason)")
        case .corruptionRetried(let path, let times):
            printWarning(
                "\(path): verification failed \(times) time\(times == 1 ? "" : "s"); the bad copy was deleted and sent again"
            )
        case .wouldCopy(let path, let bytes):
            Swift.print("would copy: \(path)\(bytes.map { " (\(humanBytes($0)))" } ?? "")")
        case .wouldDelete(let path):
            Swift.print("would delete: \(path)")
        case .wouldCreateFolder(let path):
            Swift.print("would create folder: \(path)/")
        case .copied(let path, let bytes, let replaced) where verbose:
            Swift.print("\(replaced ? "updated" : "copied"): \(path) (\(humanBytes(bytes)))")
        case .deleted(let path) where verbose:
            Swift.print("deleted: \(path)")
        case .sourceDeleted(let path) where verbose:
            Swift.print("deleted from the source: \(path)")
        case .createdFolder(let path) where verbose:
            Swift.print("created folder: \(path)/")
        default:
            break
        }
    }

    static func object(_ event: SyncEvent) -> [String: Any] {
        switch event {
        case .copied(let path, let bytes, let replaced):
            return ["event": replaced ? "updated" : "copied", "path": path, "bytes": bytes]
        case .skipped(let path): return ["event": "skipped", "path": path]
        case .resumed(let path, let offset): return ["event": "resumed", "path": path, "offset": offset]
        case .sourceDeleted(let path): return ["event": "source_deleted", "path": path]
        case .createdFolder(let path): return ["event": "created_folder", "path": path]
        case .deleted(let path): return ["event": "deleted", "path": path]
        case .corruptionRetried(let path, let times):
            return ["event": "corruption_retried", "path": path, "times": times]
        case .failed(let path, let reason): return ["event": "failed", "path": path, "reason": reason]
        case .warning(let path, let message): return ["event": "warning", "path": path, "message": message]
        case .differs(let path, let reason): return ["event": "differs", "path": path, "reason": reason]
        case .deletionsSkipped(let count, let reason):
            return ["event": "deletions_skipped", "count": count, "reason": reason]
        case .wouldCopy(let path, let bytes): return ["event": "would_copy", "path": path, "bytes": bytes ?? -1]
        case .wouldDelete(let path): return ["event": "would_delete", "path": path]
        case .wouldCreateFolder(let path): return ["event": "would_create_folder", "path": path]
        }
    }
}

enum SummaryPrinter {
    static func print(_ s: SyncSummary, mode: SyncOptions.Mode, dryRun: Bool, json: Bool) {
        let rate = s.seconds > 0 ? Double(s.copiedBytes) / s.seconds : 0
        if json {
            printJSONLine([
                "event": "summary", "mode": mode.rawValue, "dry_run": dryRun, "copied": s.copied,
                "bytes": s.copiedBytes,
                "skipped": s.skipped, "created_folders": s.createdFolders, "deleted": s.deleted, "failed": s.failed,
                "differences": s.differences, "deletions_skipped": s.deletionsSkipped,
                "corruptions_retried": s.corruptionsRetried, "source_deleted": s.sourceDeleted, "resumed": s.resumed,
                "seconds": s.seconds, "ok": s.succeeded, "interrupted": s.wasInterrupted,
                "refusals": s.refusals, "not_transferred": s.notTransferred,
                "tree_left_unvisited": s.treeLeftUnvisited,
            ])
            return
        }
        var parts: [String] = []
        if mode == .check {
            parts = ["\(s.skipped) matching", "\(s.differences) different"]
        } else {
            let (copied, created, deleted) =
                dryRun ? ("would copy", "would create", "would delete") : ("copied", "created", "deleted")
            parts = ["\(copied) \(s.copied) file\(s.copied == 1 ? "" : "s") (\(humanBytes(s.copiedBytes)))"]
            if s.createdFolders > 0 {
                parts.append("\(created) \(s.createdFolders) folder\(s.createdFolders == 1 ? "" : "s")")
            }
            parts.append("skipped \(s.skipped) unchanged")
            if mode == .sync { parts.append("\(deleted) \(s.deleted)") }
            if s.sourceDeleted > 0 { parts.append("\(deleted) \(s.sourceDeleted) from the source") }
            if s.resumed > 0 { parts.append("resumed \(s.resumed)") }
            if s.deletionsSkipped > 0 { parts.append("\(s.deletionsSkipped) deletions not made") }
            if s.corruptionsRetried > 0 { parts.append("\(s.corruptionsRetried) bad copies re-sent") }
        }
        parts.append("failed \(s.failed)")
        if s.wasInterrupted { parts.append("interrupted (\(s.interrupted) left for the next run)") }
        let timing =
            String(format: "in %.2f s", s.seconds) + (s.copiedBytes > 0 ? " (\(humanBytes(Int64(rate)))/s)" : "")
        FileHandle.standardError.write(Data("\(parts.joined(separator: ", ")) \(timing)\n".utf8))
        for failure in s.failures {
            FileHandle.standardError.write(Data("  failed: \(failure.path): \(failure.reason)\n".utf8))
        }
        for refusal in s.refusals {
            let left = s.notTransferred == 1 ? "1 file" : "\(s.notTransferred) files"
            let rest = s.treeLeftUnvisited ? ", and the folders not yet listed were left for the next run" : ""
            printError("\(refusal); \(left) not transferred\(rest)")
        }
    }
}
