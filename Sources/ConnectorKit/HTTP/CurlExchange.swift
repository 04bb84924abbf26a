import CCurl
import Foundation

/// The state of one request while libcurl runs it; its callbacks find it through their user pointer.
/// Unchecked: a streaming request hands it to the thread that runs curl, which alone writes it until
/// a semaphore (headers in, transfer done) orders the caller's reads after those writes.
final class CurlExchange: @unchecked Sendable {
    var status = 0
    var headers: [(String, String)] = []
    /// Set once the headers of the response the caller will get (not an interim or followed one) are in.
    var finalResponse = false
    let followRedirects: Bool

    /// Called once, when the final response's headers are complete.
    var onHeaders: (() -> Void)?
    /// Receives a 2xx body; false stops the transfer.
    var sink: ((UnsafeRawBufferPointer) -> Bool)?
    var sinkError: Error?
    /// Bodies not given to the sink are kept up to this many bytes.
    var collectLimit: Int
    var collected: [UInt8] = []
    var bodyTooLarge = false
    var received: Int64 = 0

    var source: ((UnsafeMutableRawBufferPointer) throws -> Int)?
    /// Moves the body back to an offset from its start, where it can (a body held in memory); nil
    /// when it cannot (a streamed body), so a request libcurl must resend fails at once, TRANSIENT.
    var rewind: ((Int64) -> Bool)?
    var sourceError: Error?
    var isCancelled: (() -> Bool)?

    init(followRedirects: Bool, collectLimit: Int) {
        self.followRedirects = followRedirects
        self.collectLimit = collectLimit
    }

    func headerLine(_ raw: UnsafeRawBufferPointer) {
        let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = []
        } else if line.isEmpty {
            let interim = (100..<200).contains(status)
            let followed =
                followRedirects && [301, 302, 303, 307, 308].contains(status)
                && headers.contains {
                    $0.0.caseInsensitiveCompare("Location") == .orderedSame
                }
            if !interim && !followed && !finalResponse {
                finalResponse = true
                onHeaders?()
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
    }

    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        received += Int64(bytes.count)
        if finalResponse && (200..<300).contains(status), let sink {
            return sink(bytes)
        }
        let room = collectLimit - collected.count
        if bytes.count > room {
            collected.append(contentsOf: bytes.prefix(max(0, room)))
            // A 2xx body the caller wanted whole but that does not fit is an error; an error
            // body is only for the message, so its tail is dropped.
            if (200..<300).contains(status) {
                bodyTooLarge = true
                return false
            }
            return true
        }
        collected.append(contentsOf: bytes)
        return true
    }
}

// libcurl's callbacks. Each finds its exchange through the user pointer it was configured with.

let curlWriteCallback: sc_curl_data_fn = { data, size, count, user in
    let exchange = Unmanaged<CurlExchange>.fromOpaque(user!).takeUnretainedValue()
    let n = size * count
    return exchange.body(UnsafeRawBufferPointer(start: data, count: n)) ? n : 0
}

let curlHeaderCallback: sc_curl_data_fn = { data, size, count, user in
    let exchange = Unmanaged<CurlExchange>.fromOpaque(user!).takeUnretainedValue()
    exchange.headerLine(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

let curlReadCallback: sc_curl_data_fn = { data, size, count, user in
    let exchange = Unmanaged<CurlExchange>.fromOpaque(user!).takeUnretainedValue()
    guard let source = exchange.source else { return 0 }
    do {
        return try source(UnsafeMutableRawBufferPointer(start: data, count: size * count))
    } catch {
        exchange.sourceError = error
        return Int(CURL_READFUNC_ABORT)
    }
}

let curlSeekCallback: sc_curl_seek_fn = { user, offset, origin in
    let exchange = Unmanaged<CurlExchange>.fromOpaque(user!).takeUnretainedValue()
    guard origin == SEEK_SET, let rewind = exchange.rewind else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
    return rewind(Int64(offset)) ? Int32(CURL_SEEKFUNC_OK) : Int32(CURL_SEEKFUNC_FAIL)
}

let curlProgressCallback: sc_curl_progress_fn = { user, _, _, _, _ in
    let exchange = Unmanaged<CurlExchange>.fromOpaque(user!).takeUnretainedValue()
    return exchange.isCancelled?() == true ? 1 : 0
}
