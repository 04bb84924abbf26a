import Foundation

/// One account option from a connector's JSON options schema.
public struct OptionSpec: Sendable, Equatable {
    public enum ValueType: String, Sendable { case string, int, bool, path }

    public var name: String
    public var type: ValueType
    public var required: Bool
    public var secret: Bool
    public var defaultValue: OptionValue?
    public var help: String

    struct SchemaError: Error, CustomStringConvertible {
        let description: String
    }

    /// One item of the schema as JSON has it. Decoded through Codable, not `JSONSerialization`:
    /// casts out of `Any` make the runtime search every loaded image's conformances, once per
    /// plugin, and this runs for every plugin at every start.
    private struct SchemaItem: Decodable {
        var name: String?
        var type: String?
        var required: Bool?
        var secret: Bool?
        var help: String?
        var `default`: OptionValue?
    }

    static func parseSchema(_ text: String) throws -> [OptionSpec] {
        let items: [SchemaItem]
        do {
            items = try JSONDecoder().decode([SchemaItem].self, from: Data(text.utf8))
        } catch {
            throw SchemaError(
                description: "expected a JSON array of option objects (name, type, required, secret, help, default)")
        }
        return try items.enumerated().map { index, item in
            guard let name = item.name, !name.isEmpty else {
                throw SchemaError(description: "option #\(index + 1) has no name")
            }
            let typeName = item.type ?? "string"
            guard let type = ValueType(rawValue: typeName) else {
                throw SchemaError(description: "option '\(name)' has unknown type '\(typeName)'")
            }
            return OptionSpec(
                name: name, type: type, required: item.required ?? false, secret: item.secret ?? false,
                defaultValue: item.default, help: item.help ?? "")
        }
    }

    /// Parses a value typed by a user (command line, prompt, environment) for this option.
    public func parse(_ text: String) throws(ConfigError) -> OptionValue {
        switch type {
        case .string, .path:
            return .string(text)
        case .int:
            guard let v = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError("option '\(name)' expects an integer, got '\(secret ? "***" : text)'")
            }
            return .int(v)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "1", "on": return .bool(true)
            case "false", "no", "0", "off": return .bool(false)
            default: throw ConfigError("option '\(name)' expects true or false, got '\(secret ? "***" : text)'")
            }
        }
    }

    /// Checks a stored value's type.
    public func validate(_ value: OptionValue) throws(ConfigError) {
        switch (type, value) {
        case (.string, .string), (.path, .string), (.int, .int), (.bool, .bool): return
        default: throw ConfigError("option '\(name)' must be of type \(type.rawValue)")
        }
    }
}

/// A value of an account option.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible, Decodable {
    case string(String)
    case int(Int64)
    case bool(Bool)

    init?(json: Any) {
        if let s = json as? String {
            self = .string(s)
        } else if let n = json as? NSNumber {
            // Foundation hands JSON booleans over as NSNumber with objCType "c".
            if String(cString: n.objCType) == "c" {
                self = .bool(n.boolValue)
            } else if let i = Int64(exactly: n.doubleValue) {
                self = .int(i)
            } else {
                return nil
            }
        } else {
            return nil
        }
    }

    /// A JSON value of the options schema: a boolean, an integer or a string.
    public init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer()
        if let b = try? value.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? value.decode(Int64.self) {
            self = .int(i)
        } else {
            self = .string(try value.decode(String.self))
        }
    }

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): String(b)
        }
    }

    var jsonObject: Any {
        switch self {
        case .string(let s): s
        case .int(let i): i
        case .bool(let b): b
        }
    }
}
