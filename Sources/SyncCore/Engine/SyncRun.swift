import Foundation
import SyncHashes
import SyncHost
import Synchronization

/// One copy, sync or check between two folders of two sessions.
///
/// The march lists folder by folder on the calling thread; file copies (and check's content
/// comparisons) run on a pool of engine-owned threads, `options.transfers` wide. A failed file never
/// stops the run. Sync deletes extras only after every copy succeeded, never when a source folder
/// could not be listed, never when the source is empty (unless allowed), and never beyond maxDelete;
/// each deletion it does not make is reported.
// Unchecked: what workers share is in `tally` (a Mutex); the lazy parts are made on the march
// thread, at the start of `run`, before any worker exists.
public final class SyncRun: @unchecked Sendable {
    let source: Session
    let sourceRoot: String
    let destination: Session
    let destinationRoot: String
    let options: SyncOptions
    /// The destination's name rules.
    let names: NameEncoder
    /// How the accounts are named in messages (CONNECTOR:ACCOUNT).
    public var sourceAccount: String
    public var destinationAccount: String
    /// Both sides are the same configured account (set by the caller, who knows the accounts):
    /// they share a transfer cap, and files may be copied by the store itself.
    public var sameAccount = false
    private let emit: @Sendable (SyncEvent) -> Void
    /// Live counters for a display; optional.
    public let progress: TransferProgress?
    /// What the run counted, and the copies kept for its final pass.
    let tally = Mutex(Tally())
    struct Tally {
        var summary = SyncSummary()
        /// Files whose copy failed for a reason that may pass (a server's bad minute): tried once
        /// more at the end of the run, once the accounts answer again.
        var retryLater: [(entry: Entry, path: String, to: String, reason: String)] = []
        /// The final pass has begun: a failure now is final.
        var finalPass = false
    }
    /// Transfer slots per account, when the options cap them; one object when both sides are the
    /// same account.
    private lazy var slots: (source: DispatchSemaphore?, destination: DispatchSemaphore?) = {
        if sameAccount {
            let caps = [options.sourceTransfers, options.destinationTransfers].compactMap { $0 }
            let shared = caps.min().map { DispatchSemaphore(value: $0) }
            return (shared, shared)
        }
        return (
            options.sourceTransfers.map { DispatchSemaphore(value: $0) },
            options.destinationTransfers.map { DispatchSemaphore(value: $0) }
        )
    }()

    /// How this run's mode treats a pair.
    private lazy var rules = Planner.Rules(options)
    /// What migrate and move remember of the files they copied.
    lazy var ledger = StateLedger(options.state)
    /// Comparing the contents of a pair, through both accounts' retry paths.
    lazy var comparison = ContentComparison(sourceCalls: calls.source, destinationCalls: calls.destination)
    /// Every call to each side goes through its account's retry path. Made once the account names
    /// are set (at the start of `run`).
    lazy var calls: (source: AccountCalls, destination: AccountCalls) = {
        // A look at an account that reaches its store: its quota where it reports one (a stat of
        // a store's root may be answered from memory), else a stat of the run's root.
        func probe(_ session: Session, _ root: String) -> @Sendable () throws -> Void {
            if session.hasAbout { return { _ = try session.about() } }
            return { _ = try session.statIfExists(root) }
        }
        let sourceCalls = AccountCalls(
            session: source, account: sourceAccount, policy: options.retry, probe: probe(source, sourceRoot))
        // One account on both sides has one rate limit.
        let destinationCalls = AccountCalls(
            session: destination, account: destinationAccount, policy: options.retry,
            pacer: sameAccount ? sourceCalls.pacer : AccountPacer(), probe: probe(destination, destinationRoot))
        return (sourceCalls, destinationCalls)
    }()
    /// Files kept for the final pass at most; more fail at once (an account that is down fails all).
    static let retryLaterLimit = 10_000

    public init(
        source: Session, sourcePath: String, destination: Session, destinationPath: String, options: SyncOptions,
        progress: TransferProgress? = nil, events: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) {
        self.progress = progress
        self.source = source
        self.sourceRoot = sourcePath
        self.destination = destination
        self.destinationRoot = destinationPath
        self.options = options
        self.names = NameEncoder(rules: destination.plugin.nameRules)
        self.sourceAccount = source.plugin.name
        self.destinationAccount = destination.plugin.name
        self.emit = events
    }

    func record(_ event: SyncEvent, _ update: (inout SyncSummary) -> Void = { _ in }) {
        tally.withLock { update(&$0.summary) }
        if case .skipped = event, !options.reportSkipped { return }
        emit(event)
    }

    /// An unchanged file: counted, and named only when skipped files are reported (its path is
    /// built only then).
    private func recordSkipped(_ pair: TreeMarch.Pair) {
        tally.withLock { $0.summary.skipped += 1 }
        if options.reportSkipped { emit(.skipped(path: pair.relative)) }
    }

    /// After Ctrl-C: counts one file left for the next run and says so.
    private func leftByInterruption() -> Bool {
        guard Interruption.requested else { return false }
        tally.withLock {
            $0.summary.interrupted += 1
            $0.summary.wasInterrupted = true
        }
        return true
    }

    func fail(_ path: String, _ reason: String) {
        // Cut short by the interruption, not failed: the next run takes it up.
        if leftByInterruption() { return }
        if notTransferredForRefusal() { return }
        record(.failed(path: path, reason: reason)) {
            $0.failed += 1
            $0.failures.append((path, reason))
        }
    }

    /// An account that refused its credentials is said once, at the end, with how many files it
    /// kept from being transferred: not once per file.
    private func notTransferredForRefusal() -> Bool {
        let (s, d) = calls
        guard s.auth.failed != nil || d.auth.failed != nil else { return false }
        tally.withLock {
            $0.summary.failed += 1
            $0.summary.notTransferred += 1
        }
        return true
    }

    private var refused: Bool { calls.source.auth.failed != nil || calls.destination.auth.failed != nil }

    /// Runs to the end. Throws only when the run cannot start (a missing source, a destination that
    /// is a file); everything else is in the summary. A source that is a file is copied into the
    /// destination folder under its own name (sync then deletes nothing).
    public func run() throws -> SyncSummary {
        let started = Date()
        _ = slots  // fixed now that the account names are set
        let (sourceCalls, destinationCalls) = calls
        _ = comparison  // made here, before any worker could be the first to ask for it
        let sourceTop = try sourceCalls.call { try source.stat(sourceRoot) }
        var destinationExists = false
        if let top = try destinationCalls.call({ try destination.statIfExists(destinationRoot) }) {
            guard top.isDirectory else {
                throw ConnectorError(.notADirectory, "destination '\(destinationRoot)' is a file, not a folder")
            }
            destinationExists = true
        } else if options.mode != .check && !options.dryRun {
            try destinationCalls.call { try destination.mkdir(destinationRoot) }
            destinationExists = true
        }

        var copier = FileCopier(
            source: source, destination: destination,
            verifyKinds: Comparison.verificationKinds(destination: destination.plugin),
            keepMtime: destination.plugin.capabilities.contains(.setMtime),
            state: options.state, limiter: options.bandwidthLimit.map { RateLimiter(bytesPerSecond: $0) },
            sourceCalls: sourceCalls, destinationCalls: destinationCalls)
        copier.serverCopy = sameAccount && source.plugin === destination.plugin && destination.plugin.supportsCopy
        let pool = WorkerPool(
            width: options.mode == .check ? options.checkers : options.transfers,
            name: options.mode == .check ? "sync-core checker" : "sync-core transfer", backlog: 64)
        var sourceListingFailed = false
        var sourceHasEntries = false
        var deletions = Deletions(files: PathSpool(limit: options.spillAfter))
        if !sourceTop.isDirectory {
            runSingleFile(sourceTop, copier: copier, pool: pool)
            pool.finish()
            retryFailedCopies(copier: copier)
            noteRefusals()
            return tally.withLock {
                $0.summary.seconds = Date().timeIntervalSince(started)
                return $0.summary
            }
        }
        var march = TreeMarch(
            source: source, sourceRoot: sourceRoot, destination: destination, destinationRoot: destinationRoot,
            visitDestinationOnly: options.mode == .sync || options.mode == .check, filter: options.filter,
            names: names, sourceCalls: sourceCalls, destinationCalls: destinationCalls,
            collided: { path, other in
                self.fail(
                    path,
                    "not transferred: its name collides with '\(other)' at the destination (\(self.collisionKind))")
            })
        march.sourceNames = NameEncoder(rules: source.plugin.nameRules)
        march.stop = { self.refused }
        march.spillAfter = options.spillAfter
        march.renamed = { path, name in
            self.record(.warning(path: path, message: "another file in the source has this name: stored as '\(name)'"))
        }
        let walkedWhole = try march.run(
            destinationExists: destinationExists,
            visit: { pair in
                if pair.source != nil { sourceHasEntries = true }
                visit(pair, copier: copier, pool: pool, deletions: &deletions)
            },
            failed: { failure in
                if failure.side == .source { sourceListingFailed = true }
                if self.refused { return }  // said once, at the end
                fail(
                    failure.relative.isEmpty ? "/" : failure.relative,
                    "cannot list the \(failure.side.rawValue) folder: \(failure.error)")
            })
        pool.finish()
        retryFailedCopies(copier: copier)
        if !walkedWhole {
            tally.withLock { $0.summary.treeLeftUnvisited = true }
        }

        if options.mode == .sync {
            deleteExtras(
                &deletions, sourceListingFailed: sourceListingFailed,
                sourceEmpty: !sourceHasEntries)
        }
        noteRefusals()
        return tally.withLock {
            $0.summary.seconds = Date().timeIntervalSince(started)
            if Interruption.requested { $0.summary.wasInterrupted = true }
            return $0.summary
        }
    }

    private var collisionKind: String {
        destination.plugin.nameRules.caseInsensitive
            ? "names that differ only in case are one name there" : "the source holds two entries of this name"
    }

    /// A file as the source: one pair, its name encoded for the destination as in a tree.
    private func runSingleFile(_ file: Entry, copier: FileCopier, pool: WorkerPool) {
        let name = String(sourceRoot.split(separator: "/").last ?? Substring(sourceRoot))
        guard options.filter.isEmpty || options.filter.includes(file, relative: name) else { return }
        let encoded = names.encode(name)
        let target = join(destinationRoot, encoded)
        var existing: Entry?
        do {
            existing = try calls.destination.call { try destination.statIfExists(target) }
        } catch {
            fail(name, "cannot look at the destination: \(error)")
            return
        }
        var deletions = Deletions(files: PathSpool(limit: 1))
        visit(
            TreeMarch.Pair(
                parent: "", name: name, source: file, destination: existing,
                destinationPath: existing?.path ?? target,
                encodedName: encoded), copier: copier, pool: pool, deletions: &deletions)
    }

    // MARK: Decisions

    /// Decides what to do with a pair (`Planner`) and does it, on this thread or the pool.
    private func visit(
        _ pair: TreeMarch.Pair, copier: FileCopier, pool: WorkerPool, deletions: inout Deletions
    ) {
        lazy var path = pair.relative
        let (s, d) = (pair.source, pair.destination)
        let facts = PairFacts(run: self, pair: pair)
        switch Planner.decide(facts, rules) {
        case .nothing:
            return
        case .fail(let reason):
            fail(path, reason)
        case .differs(let reason):
            record(.differs(path: path, reason: reason)) { $0.differences += 1 }
        case .compareContents:
            // Reading files to hash them belongs on the pool; a comparison of listings does not.
            if comparison.needsReading(s!, d!) {
                pool.submit { self.checkContent(s!, d!, path) }
            } else {
                checkContent(s!, d!, path)
            }
        case .createFolder:
            createFolder(path, at: pair.destinationPath)
        case .copy(let replace):
            transfer(s!, path, to: pair.destinationPath, replace: replace, copier: copier, pool: pool)
        case .skip(let thenVerifyAndDeleteSource):
            recordSkipped(pair)
            if thenVerifyAndDeleteSource {
                pool.submit { self.verifyThenDeleteSource(s!, d!, path, copier: copier) }
            }
        case .skipRemembered(let thenDeleteSource):
            record(.skipped(path: path)) { $0.skipped += 1 }
            if thenDeleteSource { pool.submit { self.deleteSource(path, s!) } }
        case .decideAfterStat:
            pool.submit { self.decideAfterStat(s!, d!, path, copier: copier) }
        case .deleteExtra(let folder):
            if folder {
                deletions.folders.append((path, d!.path))
                return
            }
            do {
                try deletions.files.append(path, d!.path)
            } catch {
                // A deletion that cannot be remembered fails the run's deletions, never the other
                // way round.
                fail(path, "cannot keep it on the list of deletions: \(error)")
            }
        }
    }

    /// The planner's facts about a pair, asked of this run (its listings' comparison, its state).
    private struct PairFacts: Planner.Facts {
        // unowned(unsafe): the run outlives every pair it visits, and this is asked per file.
        unowned(unsafe) let run: SyncRun
        let pair: TreeMarch.Pair
        var source: Entry? { pair.source }
        var destination: Entry? { pair.destination }
        var refusal: String? { (source ?? destination).flatMap { NameCheck.refusal($0, name: pair.name) } }
        func unstorable() -> String? { run.names.refusal(pair.encodedName) }
        func sameByListing() -> Bool { run.comparison.compareListed(source!, destination!) == .same }
        func remembered() -> Bool { run.ledger.remembers(source!, destination!, at: pair.relative) }
        func mtimeNeedsStat() -> Bool { run.comparison.mtimeOnlyByStat(source!, destination!) }
    }

    /// A source entry with the mtime its store keeps but did not list (a stat asks), so the copy
    /// gets it. The state keeps the listed entry: that is what the next run's listing shows.
    private func withListedMtime(_ entry: Entry) -> Entry {
        // A source whose readers describe their file tells the copier when it opens (no stat).
        guard entry.mtimeNanoseconds == nil, entry.readID == nil, !entry.isDirectory, !source.readersDescribeFiles,
            source.plugin.capabilities.contains(.setMtime), destination.plugin.capabilities.contains(.setMtime),
            let fresh = try? calls.source.call({ try source.stat(entry.path) })
        else { return entry }
        var entry = entry
        entry.mtimeNanoseconds = fresh.mtimeNanoseconds
        return entry
    }

    /// On a worker: stats the side whose listing had no mtime, then skips the file or sends it.
    private func decideAfterStat(_ s: Entry, _ d: Entry, _ path: String, copier: FileCopier) {
        let verdict: Comparison.Verdict
        do {
            verdict = try comparison.compareStatting(s, d)
        } catch {
            fail(path, "cannot stat the file to compare modification times: \(error)")
            return
        }
        if case .same = verdict {
            record(.skipped(path: path)) { $0.skipped += 1 }
            return
        }
        transfer(s, path, to: d.path, replace: true, copier: copier, pool: nil)
    }

    private func createFolder(_ path: String, at destinationPath: String) {
        if options.dryRun {
            record(.wouldCreateFolder(path: path)) { $0.createdFolders += 1 }
            return
        }
        do {
            try calls.destination.call { try destination.mkdir(destinationPath) }
            record(.createdFolder(path: path)) { $0.createdFolders += 1 }
        } catch {
            fail(path, "cannot create the folder: \(error)")
        }
    }

    /// Queues one copy on the pool, or runs it here when called on a worker (`pool` nil).
    private func transfer(
        _ entry: Entry, _ path: String, to destinationPath: String, replace: Bool, copier: FileCopier, pool: WorkerPool?
    ) {
        if options.dryRun {
            record(.wouldCopy(path: path, bytes: entry.size)) {
                $0.copied += 1
                $0.copiedBytes += entry.size ?? 0
            }
            return
        }
        progress?.queued(bytes: entry.size)
        guard let pool else {
            return performTransfer(entry, path, to: destinationPath, replace: replace, copier: copier)
        }
        pool.submit { self.performTransfer(entry, path, to: destinationPath, replace: replace, copier: copier) }
    }

    /// Copies one file on the calling (worker) thread, then remembers it and, for move, deletes the source.
    func performTransfer(
        _ entry: Entry, _ path: String, to destinationPath: String, replace: Bool, copier: FileCopier
    ) {
        if leftByInterruption() { return }
        // Within the run's width, each account's own cap (always taken in this order: no deadlock).
        let (sourceSlot, destinationSlot) = slots
        sourceSlot?.wait()
        defer { sourceSlot?.signal() }
        let separate = destinationSlot !== sourceSlot
        if separate { destinationSlot?.wait() }
        defer { if separate { destinationSlot?.signal() } }
        var succeeded = false
        progress?.begin(path, total: entry.size)
        defer { progress?.end(path, succeeded: succeeded) }
        do {
            let copied = try copier.copy(
                withListedMtime(entry), from: entry.path, to: destinationPath, relative: path, replace: replace,
                progress: { [progress] delta in progress?.advance(path, by: delta) })
            succeeded = true
            if copied.corruptionsRetried > 0 {
                record(.corruptionRetried(path: path, times: copied.corruptionsRetried)) {
                    $0.corruptionsRetried += copied.corruptionsRetried
                }
            }
            if copied.resumedFrom > 0 {
                record(.resumed(path: path, offset: copied.resumedFrom)) { $0.resumed += 1 }
            }
            record(.copied(path: path, bytes: copied.bytes, replaced: replace)) {
                $0.copied += 1
                $0.copiedBytes += copied.bytes
            }
            guard remember(path, entry, copied.destinationEntry, hashes: copied.hashes) else { return }
            if options.deletesSourceFiles { deleteSource(path, entry) }
        } catch {
            if let failure = error as? ConnectorError, RetryPolicy.isRetryable(failure.code),
                keepForLater(entry, path, destinationPath, reason: "\(error)")
            {
                return
            }
            fail(path, "\(error)")
        }
    }

    private func keepForLater(_ entry: Entry, _ path: String, _ destinationPath: String, reason: String) -> Bool {
        if Interruption.requested || refused { return false }
        return tally.withLock {
            guard !$0.finalPass, $0.retryLater.count < Self.retryLaterLimit else { return false }
            $0.retryLater.append((entry, path, destinationPath, reason))
            return true
        }
    }

    /// The last pass over files that failed for a reason that may pass: once both accounts answer
    /// again (a look at each root, itself retried), each is tried once more, replacing whatever a
    /// failed try left. A user should not need a second run for a server's bad minute.
    private func retryFailedCopies(copier: FileCopier) {
        let files = tally.withLock { tally in
            tally.finalPass = true
            defer { tally.retryLater = [] }
            return tally.retryLater
        }
        guard !files.isEmpty else { return }
        let recovered =
            !Interruption.requested
            && (try? calls.source.call { try source.stat(sourceRoot) }) != nil
            && (try? calls.destination.call { try destination.statIfExists(destinationRoot) }) != nil
        guard recovered else {
            for file in files { fail(file.path, file.reason) }
            return
        }
        let pool = WorkerPool(width: options.transfers, name: "sync-core transfer", backlog: 64)
        for file in files {
            progress?.queued(bytes: file.entry.size)
            pool.submit { self.performTransfer(file.entry, file.path, to: file.to, replace: true, copier: copier) }
        }
        pool.finish()
    }

    /// Puts each account that refused its credentials in the summary, once.
    private func noteRefusals() {
        let refusals = [calls.source.auth.failed, calls.destination.auth.failed].compactMap { $0?.message }
        tally.withLock { $0.summary.refusals = refusals }
    }

    /// Records a file in the state; false (and a failure) if the database refused.
    @discardableResult
    func remember(_ path: String, _ s: Entry, _ d: Entry, hashes: [HashKind: String]) -> Bool {
        do {
            try ledger.record(path, s, d, hashes: hashes)
            return true
        } catch {
            fail(path, "copied, but the state database could not record it: \(error)")
            return false
        }
    }

    /// check: the content decides wherever a hash kind is common to both stores (computed on demand
    /// where the listing lacks it, reading the file); otherwise what the listings say, and where they
    /// cannot say (no shared hash, no times), one side is read for the hash the other lists.
    private func checkContent(_ s: Entry, _ d: Entry, _ path: String) {
        let verdict: Comparison.Verdict
        do {
            verdict =
                try comparison.contentVerdict(s, d, readingAcross: !comparison.timesComparable)
                ?? comparison.compareStatting(s, d)
        } catch {
            fail(path, "cannot compare contents: \(error)")
            return
        }
        switch verdict {
        case .same: record(.skipped(path: path)) { $0.skipped += 1 }
        case .differs(let reason): record(.differs(path: path, reason: reason)) { $0.differences += 1 }
        }
    }
}
