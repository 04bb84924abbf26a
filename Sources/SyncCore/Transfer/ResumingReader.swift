import Foundation
import SyncHost

/// Something bytes are read from until it answers 0: a connector's reader, or one that survives
/// a broken download.
public protocol ByteSource: AnyObject, SendableMetatype {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension Session.Reader: ByteSource {}

/// A source reader that survives a broken download: a read that fails for a temporary reason (a
/// connection cut mid-body, a body shorter than announced) is continued by a new reader opened at
/// the offset reached, through the account's retry path. The bytes already read, hashed and
/// written stay where they are, so a large file on a bad connection is read once, not once per
/// break. Up to the policy's attempts in a row without a byte of progress; then the failure stands.
final class ResumingReader: ByteSource {
    private var current: Session.Reader
    private var offset: Int64
    private let end: Int64?
    private let calls: AccountCalls
    private let reopen: (Int64) throws -> Session.Reader
    private var breaksWithoutProgress = 0

    /// `reader` reads from `offset`; `end`, when known, is where the file ends (a reopening there
    /// reads nothing and is not asked of the store).
    init(
        _ reader: Session.Reader, at offset: Int64, end: Int64?, calls: AccountCalls,
        reopen: @escaping (Int64) throws -> Session.Reader
    ) {
        current = reader
        self.offset = offset
        self.end = end
        self.calls = calls
        self.reopen = reopen
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n: Int
            do {
                n = try current.read(into: buffer)
            } catch let failure as ConnectorError where failure.code == .transient {
                if let end, offset >= end { return 0 }  // broken after the last byte
                guard mayResume else { throw failure }
                try resume()
                continue
            }
            if n > 0 {
                offset += Int64(n)
                breaksWithoutProgress = 0
                return n
            }
            // The end, or a body that ended early while looking complete: where the file is known
            // to be longer, read on from here. If that cannot be done, the end stands, and the
            // copier's size check speaks.
            guard let end, offset < end, mayResume else { return 0 }
            do {
                try resume()
            } catch {
                return 0
            }
        }
    }

    private var mayResume: Bool {
        breaksWithoutProgress + 1 < calls.policy.attempts && !calls.session.services.isCancelled
    }

    private func resume() throws {
        breaksWithoutProgress += 1
        current.close()
        let at = offset
        current = try calls.call { try reopen(at) }
    }

    /// Closes the reader in use (the first one too, if it is still the one).
    func close() { current.close() }
}
