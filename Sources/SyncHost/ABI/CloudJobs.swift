import CSyncConnector
import SyncABI

/// A cloud-download job (a Put.io transfer and the like), as the host sees it.
public struct CloudJob: Sendable {
    public typealias State = CloudJobState

    public var id: String
    public var state: State
    public var name: String?
    public var source: String?
    public var path: String?
    public var doneBytes: Int64
    public var totalBytes: Int64?
    public var message: String?

    init(abi job: UnsafePointer<sc_job>) {
        let j = job.pointee
        func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        id = text(j.id) ?? ""
        // An unknown state from a newer connector reads as still running: never as done.
        state = State(rawValue: j.state) ?? .running
        name = text(j.name)
        source = text(j.source)
        path = text(j.path)
        doneBytes = j.done_bytes
        totalBytes = j.total_bytes >= 0 ? j.total_bytes : nil
        message = text(j.message)
    }
}

let jobTrampoline: sc_job_fn = { ctx, job in
    CallbackBox<CloudJob>.from(ctx).deliver(CloudJob(abi: job!))
}

extension Session {
    public var hasCloudDownloads: Bool { ops.job_add != nil && ops.job_status != nil }

    private func requireJobs() throws {
        guard hasCloudDownloads else { throw ConnectorError(.unsupported, "\(plugin.name) has no cloud downloads") }
    }

    private func jobs(
        _ call: (sc_job_fn, UnsafeMutableRawPointer, UnsafeMutablePointer<sc_error>) -> sc_code,
        _ body: @escaping (CloudJob) throws -> Void
    ) throws {
        let box = CallbackBox<CloudJob>(body)
        var error = sc_error()
        let code = withExtendedLifetime(box) { call(jobTrampoline, box.context, &error) }
        if let thrown = box.thrown { throw thrown }
        if code != SC_OK { throw ConnectorError(abi: code, &error) }
    }

    /// Asks the store to download `source` into folder `dir`.
    public func addJob(source: String, into dir: String) throws -> CloudJob {
        try requireJobs()
        var result: CloudJob?
        try use { handle in
            try jobs(
                { fn, ctx, err in
                    source.withCString { s in dir.withCString { ops.job_add!(handle, s, $0, fn, ctx, err) } }
                },
                { result = $0 })
        }
        guard let result else { throw ConnectorError(.internal, "connector reported success without a job") }
        return result
    }

    public func jobStatus(_ id: String) throws -> CloudJob {
        try requireJobs()
        var result: CloudJob?
        try use { handle in
            try jobs({ fn, ctx, err in id.withCString { ops.job_status!(handle, $0, fn, ctx, err) } }, { result = $0 })
        }
        guard let result else { throw ConnectorError(.internal, "connector reported success without a job") }
        return result
    }

    public func listJobs(_ body: @escaping (CloudJob) throws -> Void) throws {
        guard let list = ops.job_list else { throw ConnectorError(.unsupported, "\(plugin.name) cannot list jobs") }
        try use { handle in try jobs({ fn, ctx, err in list(handle, fn, ctx, err) }, body) }
    }

    public func cancelJob(_ id: String) throws {
        guard let cancel = ops.job_cancel else {
            throw ConnectorError(.unsupported, "\(plugin.name) cannot cancel jobs")
        }
        try use { handle in try abiCall { err in id.withCString { cancel(handle, $0, err) } } }
    }
}
