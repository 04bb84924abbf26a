import CSyncConnector
import Foundation
import Synchronization

extension Plugin {
    /// Whether the connector has interactive account setup (ABI 1.1's `authorize`).
    public var canAuthorize: Bool { ops.pointee.authorize != nil }

    /// Runs the connector's interactive setup for an account with options `config` (an OAuth
    /// authorization, or asking for a token). Returns the options it handed over to store; empty
    /// when the given options already sufficed. Talks to the user through `services`.
    public func authorize(config: [String: OptionValue], services: HostServices) throws -> [String: OptionValue] {
        guard let authorize = ops.pointee.authorize else { return [:] }
        // Handed over in one call or several, from any thread the connector uses.
        let collected = Mutex<[String: OptionValue]>([:])
        let forwarding = HostServices(
            log: services.log, credentialsChanged: { changes in collected.withLock { $0.merge(changes) { $1 } } },
            progress: services.progress,
            tell: services.tell, ask: services.ask)
        let json = try JSONSerialization.data(withJSONObject: config.mapValues(\.jsonObject), options: [.sortedKeys])
        let table = forwarding.makeCTable()
        defer { table.deallocate() }
        try withExtendedLifetime(forwarding) {
            try abiCall { err in String(decoding: json, as: UTF8.self).withCString { authorize(table, $0, err) } }
        }
        return collected.withLock { $0 }
    }
}
