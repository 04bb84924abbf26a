import CSyncConnector

/// The state of a cloud-download job (`SC_JOB_*`), shared by the host and ConnectorKit.
public enum CloudJobState: Int32, Sendable, CustomStringConvertible {
    case queued = 1
    case running, completed, failed, cancelled

    public var description: String {
        switch self {
        case .queued: "queued"
        case .running: "running"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    public var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
}
