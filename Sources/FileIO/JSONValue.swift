// One JSON value of a file a user wrote (a config, a theme), kept raw so every field can be checked for
// its type and range and reported with the value that was actually there: a string where a number
// belongs is an error, not a default (JSONSerialization would even let `true` pass as the number 1).

import Foundation

public enum JSONValue: Decodable, Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Order matters: JSONDecoder reads `true` only as Bool and `1` only as a number.
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else if let value = try? c.decode([String: JSONValue].self) { self = .object(value) }
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a number too large to represent, or not JSON")
        }
    }

    /// How the value reads in a message: numbers as written, strings quoted (long ones cut), containers by kind.
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .number(let value): return JSONValue.format(value)
        case .string(let value): return "\"\(value.count > 40 ? String(value.prefix(40)) + "…" : value)\""
        case .array(let values): return "a list of \(values.count)"
        case .object: return "an object"
        }
    }

    /// `text`, saying "(a string)" after a string: where a number belongs, `"32"` alone looks like 32.
    public var description: String {
        if case .string = self { return text + " (a string)" }
        return text
    }

    /// Integers without a fraction (1000000000, not 1e+09); everything else as Swift prints doubles.
    public static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
