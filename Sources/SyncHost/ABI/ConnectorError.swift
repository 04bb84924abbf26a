import CSyncConnector
import SyncABI

extension ConnectorError {
    /// Reads the error struct a connector filled.
    init(abi code: sc_code, _ error: inout sc_error) {
        let text = withUnsafeBytes(of: &error.message) { raw -> String in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
        self.init(
            ErrorCode(abi: code),
            text.isEmpty ? ErrorCode(abi: code).description : text,
            httpStatus: Int(error.http_status),
            retryAfterMilliseconds: error.retry_after_ms
        )
    }

}
