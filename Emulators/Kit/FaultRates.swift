import Foundation

/// Faults drawn at random, each at its own rate per request (0 = never, 1 = always): the "bad
/// day" of a real server, for runs that must complete through all of them at once. Draws come from
/// a seeded generator (`FaultDice`), so a failing run can be replayed with its seed.
public struct FaultRates: Sendable, Equatable {
    /// 429 with a Retry-After (in seconds, or as an HTTP date every other time).
    public var rateLimited = 0.0
    /// 503 before the request takes effect.
    public var serverErrors = 0.0
    /// The connection closed before any answer; the request did not take effect.
    public var droppedConnections = 0.0
    /// A download cut short: the connection closes mid-body, or the body is shorter than the file.
    public var truncatedDownloads = 0.0
    /// A resumable upload keeps fewer bytes than a chunk carried, and says so in its answer.
    public var shortAcknowledgements = 0.0
    /// The request took effect (a file committed, a folder made), and the answer is a 503.
    public var errorsAfterCommit = 0.0
    /// Seconds a 429 asks the client to wait.
    public var retryAfterSeconds = 1

    public init() {}

    /// The mix a migration must survive in one run with default settings (issue 15's bar).
    public static var badDay: FaultRates {
        var rates = FaultRates()
        rates.rateLimited = 0.05
        rates.serverErrors = 0.05
        rates.droppedConnections = 0.03
        rates.truncatedDownloads = 0.03
        rates.shortAcknowledgements = 0.2
        rates.errorsAfterCommit = 0.03
        return rates
    }

    public var isEmpty: Bool { self == FaultRates() }
}

/// A small seeded generator (SplitMix64) for fault draws. Not thread-safe: draw under the
/// emulator's lock.
public struct FaultDice: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// True with probability `rate`.
    public mutating func roll(_ rate: Double) -> Bool {
        guard rate > 0 else { return false }
        return Double(next() >> 11) / Double(1 << 53) < rate
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Retry-After values in both of HTTP's forms.
public enum RetryAfterHeader {
    /// `seconds` from now as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), rounded up so the
    /// wait is never shorter than asked.
    public static func date(inSeconds seconds: Int, from now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(
            from: Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(seconds)).rounded(.up)))
    }
}
