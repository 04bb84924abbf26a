/// Temporary files of unfinished writes on stores that rename into place (the local disk, SFTP):
/// hidden, beside their target, never listed. One name per target, so a fresh write replaces what
/// a killed run left, and a resumed one finds it again.
public enum PartialFile {
    public static let marker = ".sc-partial"

    public static func isPartial(_ name: Substring) -> Bool {
        // Bytes, not Characters: this runs for every listed name.
        name.utf8.first == UInt8(ascii: ".") && name.utf8.count > marker.utf8.count
            && name.utf8.suffix(marker.utf8.count).elementsEqual(marker.utf8)
    }

    /// The partial file's name for a target named `target` (a name, not a path).
    public static func name(for target: Substring) -> String {
        let plain = ".\(target)\(marker)"
        if plain.utf8.count <= 255 { return plain }
        // Too long for the file system: a digest of the name stands in for it.
        return ".\(MultiHasher.digest(Array(target.utf8), [.sha1])[.sha1]!)\(marker)"
    }
}
