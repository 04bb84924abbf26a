import Foundation
import SyncHost

/// Names that must never be written: they could escape the tree or cannot be represented.
enum NameCheck {
    static func refusal(_ entry: Entry, name: String) -> String? {
        if !entry.pathIsValidUTF8 { return "refusing a name that is not valid UTF-8" }
        if name.isEmpty || name == "." || name == ".." {
            return "refusing the name '\(name)': it could escape the tree"
        }
        // One pass over the bytes: this runs for every pair.
        guard let bad = name.utf8.first(where: { $0 == UInt8(ascii: "/") || $0 == 0 }) else { return nil }
        return bad == 0 ? "refusing a name that contains a NUL byte" : "refusing a name that contains '/'"
    }
}
