/// JSON text written by hand where Foundation's `JSONSerialization` costs too much: it walks
/// `Any` values with dynamic casts, and each plugin loaded makes the runtime search every image's
/// conformances again. Plugin descriptors are built at load, so this is paid on every start.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included. Control characters and DEL are written as
    /// `\u` and four hex digits, so the result is also a valid TOML basic string (the config file
    /// uses it).
    public static func quoted(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    /// An object with its members in the given order, values already JSON text.
    public static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
