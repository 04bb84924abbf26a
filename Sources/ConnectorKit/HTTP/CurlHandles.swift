import CCurl
import Foundation
import Synchronization

/// libcurl, loaded (and globally initialised) once, on first use; nil when usable, else why not.
let curlUnavailable: String? = {
    sc_curl_load() == 1 ? nil : (sc_curl_load_error().map { String(cString: $0) } ?? "cannot load libcurl")
}()

/// Idle easy handles. A handle keeps its connections and TLS sessions open between requests, so
/// handing the same handles out again is what gives connection reuse.
final class CurlHandlePool: Sendable {
    /// Handles not in use; each is used by one request at a time.
    private let idle = Mutex<[CurlHandle]>([])
    private let keep: Int

    init(keep: Int = 32) { self.keep = keep }

    func acquire() -> UnsafeMutableRawPointer? {
        idle.withLock { $0.popLast() }?.pointer ?? sc_curl_easy_init()
    }

    /// Returns a handle after its request. `reusable` false closes it: a handle whose transfer was
    /// cut short may hold a connection in an unknown state.
    func release(_ handle: UnsafeMutableRawPointer, reusable: Bool) {
        sc_curl_easy_reset(handle)
        let kept =
            reusable
            && idle.withLock { idle in
                guard idle.count < keep else { return false }
                idle.append(CurlHandle(pointer: handle))
                return true
            }
        if !kept { sc_curl_easy_cleanup(handle) }
    }

    deinit {
        for handle in idle.withLock({ $0 }) { sc_curl_easy_cleanup(handle.pointer) }
    }
}

/// An idle easy handle. Unchecked: a pointer libcurl lets any one thread at a time use, and the
/// pool hands each to one request at a time.
private struct CurlHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// A share handle so DNS answers and TLS sessions found by one easy handle serve the others.
/// Unchecked: libcurl calls the lock callbacks below around every use of the shared data.
final class CurlShare: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// NSLock, not Mutex: libcurl locks and unlocks in two separate callbacks.
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
