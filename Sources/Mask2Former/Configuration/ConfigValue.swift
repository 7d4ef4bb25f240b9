// One JSON value of a config file, kept raw so every field can be checked for its type and range and
// reported with the value that was actually there (a string where a number belongs is an error, not a default).

import Foundation

public enum ConfigValue: Decodable, Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ConfigValue])
    case object([String: ConfigValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Order matters: JSONDecoder reads `true` only as Bool and `1` only as a number.
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([ConfigValue].self) { self = .array(value) }
        else if let value = try? c.decode([String: ConfigValue].self) { self = .object(value) }
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a number too large to represent, or not JSON")
        }
    }

    /// How the value reads in a message: numbers as written, strings quoted, containers by kind.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .number(let value): return ConfigValue.format(value)
        case .string(let value): return "\"\(value.count > 40 ? String(value.prefix(40)) + "…" : value)\" (a string)"
        case .array(let values): return "a list of \(values.count)"
        case .object: return "an object"
        }
    }

    /// Integers without a fraction (1000000000, not 1e+09); everything else as Swift prints doubles.
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}

/// A field of a config file that is the wrong type or outside the range the model can run.
/// The loader adds the file name; `description` is the rest of the one-line message.
public struct ConfigFieldError: Error, CustomStringConvertible, Equatable {
    /// Dotted path, e.g. `backbone_config.num_heads[2]`.
    public var field: String
    public var value: String
    /// What is allowed, e.g. "an integer from 1 to 64".
    public var allowed: String

    public init(field: String, value: String, allowed: String) {
        self.field = field; self.value = value; self.allowed = allowed
    }

    public var description: String { "\(field) is \(value); must be \(allowed)" }
}
