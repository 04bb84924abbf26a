import ConnectorKit

/// The library's one exported symbol: ABI negotiation and the descriptor.
@_cdecl("sync_connector_entry")
public func syncConnectorEntry(_ hostMajor: UInt32, _ hostMinor: UInt32) -> UnsafeRawPointer? {
    exportConnector(OneDriveConnector.self, hostMajor: hostMajor, hostMinor: hostMinor)
}
