@_exported import SyncABI
@_exported import SyncHashes

/// What a connector written in Swift implements. ConnectorKit turns it into the C ABI with
/// `exportConnector(_:hostMajor:hostMinor:)`. A session must be safe to call from several threads
/// at once; one reader or writer is used by one thread at a time.
///
/// Paths are '/'-separated and relative to the account root ("" is the root). Throw
/// `ConnectorFailure` to choose the ABI error code; any other error becomes INTERNAL (or the code
/// its POSIX errno maps to, for Foundation's file errors).
public protocol Connector: AnyObject {
    /// The connector's identity, capabilities and options; read once when the library loads.
    static var info: ConnectorInfo { get }

    /// Opens a session for one account with its (already schema-validated) options.
    init(config: ConnectorConfig, host: ConnectorHost) throws

    /// Emits the direct children of `dir`, streaming.
    func list(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws
    func stat(_ path: String) throws -> ConnectorEntry
    /// Creates `path` and missing parents; an existing folder is success.
    func mkdir(_ path: String) throws
    func remove(_ path: String) throws
    /// Removes an empty folder; NOT_EMPTY otherwise.
    func rmdir(_ path: String) throws
    /// `length` nil means to the end of the file.
    func openReader(_ path: String, offset: Int64, length: Int64?) throws -> any ConnectorReader
    func openWriter(_ path: String, options: WriteOptions) throws -> any ConnectorWriter

    /// Called once when the host closes the session.
    func close()
}

extension Connector {
    public func close() {}
}

/// Optional: a listing of a whole tree that beats folder-by-folder listing.
public protocol RecursiveListing: Connector {
    func listRecursive(_ dir: String, _ emit: (ConnectorEntry) throws -> Void) throws
}

/// Optional: rename or move within the account.
public protocol ServerMove: Connector {
    func move(_ from: String, to: String) throws
}

/// Optional: copy within the account without moving data through the host.
public protocol ServerCopy: Connector {
    func copy(_ from: String, to: String) throws
}

/// Optional: interactive account setup, run by `sync-core account add` before the account is
/// saved (ABI 1.1 `authorize`). Return the options to store (a token, a refresh token); return an
/// empty dictionary when `config` already suffices. Talk to the user with `host.tellUser` and
/// `host.askUser`. No session is open.
public protocol InteractiveSetup: Connector {
    static func authorize(config: ConnectorConfig, host: ConnectorHost) throws -> [String: Any]
}

/// Optional: reading a file by the id its listing entry carried (ABI 1.1 `open_reader_id`), for
/// stores whose names may repeat in a folder.
public protocol ReadByID: Connector {
    func openReader(id: String, offset: Int64, length: Int64?) throws -> any ConnectorReader
}

/// Optional (ABI 1.2 `reader_entry`): this connector's readers learn, when they open, what its
/// listings lack (S3: the mtime, from a GET's headers). Readers that know adopt `DescribingReader`;
/// the host then asks them instead of paying a stat per file.
public protocol ReadersDescribeFiles: Connector {}

/// A reader that can say what it learned of its file when it opened.
public protocol DescribingReader: ConnectorReader {
    /// The file as the open response described it (path, size, mtime, hashes), or nil.
    var describedEntry: ConnectorEntry? { get }
}

/// Optional (ABI 1.4 `remove_many`): removing many files in one call, for a store whose batch
/// delete takes many in one request. Each path's outcome in order: success (or NOT_FOUND, already
/// gone), IS_A_DIRECTORY for a folder (never removed here), or the failure. Throw when the call
/// failed as a whole.
public protocol BatchRemoval: Connector {
    func remove(many paths: [String]) throws -> [Result<Void, ConnectorFailure>]
}

/// Optional: quota figures.
public protocol QuotaReporting: Connector {
    func about() throws -> Quota
}

/// Optional: a file's hash on demand.
public protocol OnDemandHashing: Connector {
    func hash(_ path: String, kind: HashKind) throws -> String
}

public struct Quota: Sendable {
    public var total: Int64?, used: Int64?, free: Int64?, trashed: Int64?
    public init(total: Int64? = nil, used: Int64? = nil, free: Int64? = nil, trashed: Int64? = nil) {
        self.total = total
        self.used = used
        self.free = free
        self.trashed = trashed
    }
}

/// A ranged read of one file.
public protocol ConnectorReader: AnyObject {
    /// Fills up to `buffer.count` bytes; returns 0 only at the end of the range.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    func close()
}

/// One upload. Content becomes visible at its path only when `finish` succeeds (where the store
/// allows); `abort` leaves nothing behind.
public protocol ConnectorWriter: AnyObject {
    /// Where the host must continue writing from: 0, or the confirmed offset of a resumed upload.
    var startOffset: Int64 { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws -> ConnectorEntry
    func abort()
}

extension ConnectorWriter {
    public var startOffset: Int64 { 0 }
}

/// Optional for writers of stores with resumable uploads: stop without discarding what the last
/// checkpoint's token needs, so a later run resumes.
public protocol SuspendableWriter: ConnectorWriter {
    func suspend()
}

public struct WriteOptions {
    public var size: Int64?
    public var mtimeNanoseconds: Int64?
    public var replace: Bool
    /// Hash kinds the host wants in `finish`'s entry; compute only these if the store has none.
    public var wantHashes: Set<HashKind>
    public var resumeToken: String?
    /// Hand the host a token (and the confirmed offset) that lets a later run continue this upload.
    public var checkpoint: ((_ token: String, _ confirmedOffset: Int64) -> Void)?
    /// Hashes of the content the host knows before sending it (ABI 1.3). The host checks every
    /// byte it writes against them before `finish`, so the writer need not hash the bytes again;
    /// a writer whose store already holds this content may set `startOffset` to the size.
    public var knownHashes: [HashKind: String] = [:]

    public init(
        size: Int64? = nil, mtimeNanoseconds: Int64? = nil, replace: Bool = false,
        wantHashes: Set<HashKind> = [], resumeToken: String? = nil,
        checkpoint: ((String, Int64) -> Void)? = nil
    ) {
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.replace = replace
        self.wantHashes = wantHashes
        self.resumeToken = resumeToken
        self.checkpoint = checkpoint
    }
}
