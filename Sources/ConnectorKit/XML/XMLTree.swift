/// A small reader for the XML answers of REST APIs such as S3's: elements, text and the standard
/// and numeric character references. Attributes, comments, processing instructions, CDATA and the
/// prolog are accepted and skipped (CDATA's text is kept). Not a validating parser: it is for
/// trusted, machine-written documents, and it never loads a DTD or external entity.
///
/// Kept here instead of Foundation's XMLParser so that connectors do not load libxml2 when the
/// host merely discovers them.
// Unchecked: the parser fills a tree in before returning it; nothing changes it after.
public final class XMLTree: @unchecked Sendable {
    public let name: String
    public private(set) var text: String = ""
    public private(set) var children: [XMLTree] = []

    init(name: String) { self.name = name }

    /// The first child named `name` (namespace prefixes ignored).
    public func child(_ name: String) -> XMLTree? { children.first { $0.localName == name } }

    /// Every child named `name`.
    public func all(_ name: String) -> [XMLTree] { children.filter { $0.localName == name } }

    /// The text of the first child named `name`.
    public func value(_ name: String) -> String? { child(name)?.text }

    public var localName: Substring {
        guard let colon = name.firstIndex(of: ":") else { return Substring(name) }
        return name[name.index(after: colon)...]
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a document and returns its root element.
    public static func parse(_ bytes: [UInt8]) throws -> XMLTree {
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws -> XMLTree {
            var root: XMLTree?
            var stack: [XMLTree] = []
            var textBytes: [UInt8] = []
            while i < bytes.count {
                if bytes[i] != UInt8(ascii: "<") {
                    let start = i
                    while i < bytes.count && bytes[i] != UInt8(ascii: "<") { i += 1 }
                    if !stack.isEmpty { textBytes += try Self.unescape(bytes[start..<i]) }
                    continue
                }
                if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<![CDATA[") {
                    i += 9
                    let start = i
                    try skip(past: "]]>")
                    if !stack.isEmpty { textBytes += bytes[start..<(i - 3)] }
                } else if starts(with: "<!") {
                    // A DOCTYPE: skipped, never interpreted.
                    try skip(past: ">")
                } else if starts(with: "</") {
                    i += 2
                    let name = readName()
                    try skip(past: ">")
                    guard let open = stack.popLast(), open.name == name else {
                        throw ParseError(description: "XML: unexpected closing tag </\(name)>")
                    }
                    open.text = String(decoding: textBytes, as: UTF8.self)
                    textBytes = []
                } else {
                    i += 1
                    let element = XMLTree(name: readName())
                    guard !element.name.isEmpty else { throw ParseError(description: "XML: a tag without a name") }
                    // Attributes are skipped; quoted values may hold '>'.
                    var quote: UInt8?
                    while i < bytes.count {
                        let b = bytes[i]
                        if let q = quote {
                            if b == q { quote = nil }
                        } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                            quote = b
                        } else if b == UInt8(ascii: ">") {
                            break
                        }
                        i += 1
                    }
                    guard i < bytes.count else {
                        throw ParseError(description: "XML: unterminated tag <\(element.name)")
                    }
                    let selfClosing = bytes[i - 1] == UInt8(ascii: "/")
                    i += 1
                    if let parent = stack.last {
                        parent.children.append(element)
                        textBytes = []
                    } else if root == nil {
                        root = element
                    } else {
                        throw ParseError(description: "XML: more than one root element")
                    }
                    if !selfClosing { stack.append(element) }
                }
            }
            guard let root, stack.isEmpty else {
                throw ParseError(description: root == nil ? "XML: no element" : "XML: document ends inside an element")
            }
            return root
        }

        func starts(with prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return bytes.count - i >= p.count && bytes[i..<(i + p.count)].elementsEqual(p)
        }

        mutating func skip(past terminator: String) throws {
            let t = Array(terminator.utf8)
            while i + t.count <= bytes.count {
                if bytes[i..<(i + t.count)].elementsEqual(t) {
                    i += t.count
                    return
                }
                i += 1
            }
            throw ParseError(description: "XML: missing '\(terminator)'")
        }

        mutating func readName() -> String {
            let start = i
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: ">") || b == UInt8(ascii: "/") || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
                {
                    break
                }
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        static func unescape(_ text: ArraySlice<UInt8>) throws -> [UInt8] {
            guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
            var out: [UInt8] = []
            var j = text.startIndex
            while j < text.endIndex {
                guard text[j] == UInt8(ascii: "&") else {
                    out.append(text[j])
                    j += 1
                    continue
                }
                guard let semicolon = text[j...].firstIndex(of: UInt8(ascii: ";")) else {
                    throw ParseError(description: "XML: unterminated character reference")
                }
                let entity = String(decoding: text[(j + 1)..<semicolon], as: UTF8.self)
                switch entity {
                case "amp": out.append(UInt8(ascii: "&"))
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    let scalar: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalar = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalar = UInt32(entity.dropFirst())
                    } else {
                        scalar = nil
                    }
                    guard let value = scalar, let unicode = Unicode.Scalar(value) else {
                        throw ParseError(description: "XML: unknown entity &\(entity);")
                    }
                    out += Array(String(Character(unicode)).utf8)
                }
                j = semicolon + 1
            }
            return out
        }
    }
}
