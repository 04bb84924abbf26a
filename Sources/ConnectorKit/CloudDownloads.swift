import CSyncConnector
import Foundation

/// Optional: downloads the store performs itself, from a URL, a magnet URI or a .torrent URL into
/// one of its folders (Put.io's transfers).
public protocol CloudDownloads: Connector {
    /// Starts a download into folder `dir` (created if missing) and returns the new job.
    func addJob(source: String, into dir: String) throws -> CloudJob
    func jobStatus(_ id: String) throws -> CloudJob
    func listJobs(_ emit: (CloudJob) throws -> Void) throws
    /// Cancels a running job or forgets a finished one.
    func cancelJob(_ id: String) throws
}

/// One cloud-download job as a connector reports it.
public struct CloudJob: Sendable {
    public typealias State = CloudJobState

    public var id: String
    public var state: State
    public var name: String?
    /// As submitted; never with credentials in it.
    public var source: String?
    /// Where the result is (relative to the account root) once known.
    public var path: String?
    public var doneBytes: Int64
    public var totalBytes: Int64?
    public var message: String?

    public init(
        id: String, state: State, name: String? = nil, source: String? = nil, path: String? = nil,
        doneBytes: Int64 = 0, totalBytes: Int64? = nil, message: String? = nil
    ) {
        self.id = id
        self.state = state
        self.name = name
        self.source = source
        self.path = path
        self.doneBytes = doneBytes
        self.totalBytes = totalBytes
        self.message = message
    }

    /// Calls `body` with an `sc_job` whose pointers are valid only inside it.
    func withCJob<R>(_ body: (UnsafePointer<sc_job>) -> R) -> R {
        id.withCString { cId in
            withOptionalCString(name) { cName in
                withOptionalCString(source) { cSource in
                    withOptionalCString(path) { cPath in
                        withOptionalCString(message) { cMessage in
                            var job = sc_job(
                                struct_size: UInt32(MemoryLayout<sc_job>.size), state: state.rawValue, id: cId,
                                name: cName, source: cSource, path: cPath, done_bytes: doneBytes,
                                total_bytes: totalBytes ?? -1, message: cMessage)
                            return body(&job)
                        }
                    }
                }
            }
        }
    }
}
