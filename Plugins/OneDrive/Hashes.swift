import ConnectorKit

/// OneDrive lists quickXorHash (base64) for every file, on Personal and Business alike; sync-core
/// keeps hashes as hex. sha1 appears on some Personal files and is kept where it does.
enum OneDriveHashes {
    static func of(_ item: [String: Any]) -> [HashKind: String] {
        let hashes = (item["file"] as? [String: Any])?["hashes"] as? [String: Any] ?? [:]
        var out: [HashKind: String] = [:]
        if let quick = hashes["quickXorHash"] as? String, let hex = QuickXorHasher.hex(fromBase64: quick) {
            out[.quickxor] = hex
        }
        if let sha1 = hashes["sha1Hash"] as? String, sha1.count == 40 { out[.sha1] = sha1.lowercased() }
        return out
    }
}
