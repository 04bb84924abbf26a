import CCurl
import Foundation

/// libcurl, loaded (and globally initialised) once, on first use; nil when usable, else why not.
let curlUnavailable: String? = {
    sc_curl_load() == 1 ? nil : (sc_curl_load_error().map { String(cString: $0) } ?? "cannot load libcurl")
}()

/// Idle easy handles. A handle keeps its connections and TLS sessions open between requests, so
/// handing the same handles out again is what gives connection reuse.
final class CurlHandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let keep: Int

    init(keep: Int = 32) { self.keep = keep }

    func acquire() -> UnsafeMutableRawPointer? {
        lock.lock()
        let handle = idle.popLast()
        lock.unlock()
        return handle ?? sc_curl_easy_init()
    }

    /// Returns a handle after its request. `reusable` false closes it: a handle whose transfer was
    /// cut short may hold a connection in an unknown state.
    func release(_ handle: UnsafeMutableRawPointer, reusable: Bool) {
        sc_curl_easy_reset(handle)
        lock.lock()
        if reusable && idle.count < keep {
            idle.append(handle)
            lock.unlock()
        } else {
            lock.unlock()
            sc_curl_easy_cleanup(handle)
        }
    }

    deinit {
        for handle in idle { sc_curl_easy_cleanup(handle) }
    }
}

/// A share handle so DNS answers and TLS sessions found by one easy handle serve the others.
final class CurlShare: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let locks: [NSLock]

    /// Nil when libcurl cannot be loaded (clients then fail each request with the reason).
    init?() {
        guard curlUnavailable == nil, let handle = sc_curl_share_init() else { return nil }
        self.handle = handle
        locks = (0..<Int(CURL_LOCK_DATA_LAST.rawValue)).map { _ in NSLock() }
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = sc_curl_share_pointer(handle, CURLSHOPT_USERDATA, me)
        _ = sc_curl_share_lock_fns(
            handle,
            { _, data, _, user in
                Unmanaged<CurlShare>.fromOpaque(user!).takeUnretainedValue().locks[Int(data.rawValue)].lock()
            },
            { _, data, user in
                Unmanaged<CurlShare>.fromOpaque(user!).takeUnretainedValue().locks[Int(data.rawValue)].unlock()
            })
        _ = sc_curl_share_long(handle, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        _ = sc_curl_share_long(handle, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
    }

    deinit { sc_curl_share_cleanup(handle) }
}
