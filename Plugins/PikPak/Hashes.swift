import ConnectorKit

/// PikPak's one hash is the GCID (SyncHashes computes it); the server writes it in upper case.
enum PikPakHashes {
    /// The listed `hash` as the host compares hashes: lower case, nil when missing.
    static func gcid(_ listed: Any?) -> String? {
        guard let text = listed as? String, text.count == 40 else { return nil }
        return text.lowercased()
    }
}
