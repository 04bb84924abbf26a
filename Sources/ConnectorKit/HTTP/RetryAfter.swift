import Foundation

/// How long a server asked the client to wait, from `Retry-After` (delta-seconds or HTTP-date,
/// RFC 9110 §10.2.3) or, failing that, an `X-RateLimit-Reset` epoch.
public enum RetryAfter {
    /// Milliseconds to wait, or nil when the response names no delay. Dates in the past give 0.
    public static func milliseconds(from response: HTTPResponse, now: Date = Date()) -> Int64? {
        if let value = response.header("Retry-After"), let ms = parse(value, now: now) { return ms }
        if let reset = response.header("X-RateLimit-Reset"),
            let epoch = Double(reset.trimmingCharacters(in: .whitespaces)),
            epoch > 1_000_000_000
        {
            return max(0, Int64(((epoch - now.timeIntervalSince1970) * 1000).rounded(.up)))
        }
        return nil
    }

    /// Parses one `Retry-After` value.
    public static func parse(_ value: String, now: Date = Date()) -> Int64? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(text) { return seconds >= 0 ? seconds * 1000 : nil }
        if let seconds = Double(text), seconds >= 0 { return Int64(seconds * 1000) }
        guard let date = httpDate(text) else { return nil }
        return max(0, Int64((date.timeIntervalSince(now) * 1000).rounded(.up)))
    }

    /// IMF-fixdate, with the two obsolete forms RFC 9110 says recipients must accept.
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
