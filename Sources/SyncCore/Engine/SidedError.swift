import Foundation
import SyncHost

/// A connector error with the side (account) it came from, so a rate limit pauses the right one.
struct SidedError: Error {
    let side: TreeMarch.Side
    let error: ConnectorError

    static func tag(_ side: TreeMarch.Side, _ error: Error) -> Error {
        (error as? ConnectorError).map { SidedError(side: side, error: $0) } ?? error
    }

    static func on<T>(_ side: TreeMarch.Side, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw tag(side, error)
        }
    }

    /// The side (nil when the error is the copier's own) and the connector error, if it is one.
    static func split(_ error: Error) -> (TreeMarch.Side?, ConnectorError?) {
        if let sided = error as? SidedError { return (sided.side, sided.error) }
        return (nil, error as? ConnectorError)
    }
}
