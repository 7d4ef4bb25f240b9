// Typed, range-checked reads of config fields. Every field the model uses goes through one of these,
// so a wrong type, a fraction where an integer belongs, NaN or an absurd size stops loading with the
// field, the value and what is allowed, instead of trapping (or allocating terabytes) later.

import FileIO
import Foundation

extension KeyedDecodingContainer {
    /// `backbone_config.depths`-style path of a key in this container.
    func fieldPath(_ key: Key, index: Int? = nil) -> String {
        let names = (codingPath + [key]).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        var path = names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        if let index { path += "[\(index)]" }
        return path
    }

    /// The raw value, or nil when the key is absent or null (the default applies, as in transformers).
    func raw(_ key: Key) throws -> JSONValue? {
        guard let value = try decodeIfPresent(JSONValue.self, forKey: key), value != .null else { return nil }
        return value
    }

    func integer(_ key: Key, default fallback: Int, in range: ClosedRange<Int>, allowed: String? = nil) throws -> Int {
        guard let value = try raw(key) else { return fallback }
        return try Self.integer(value, field: fieldPath(key), in: range, allowed: allowed)
    }

    /// The first of several spellings that is present (`hidden_dim` / `hidden_size`).
    func integer(_ keys: [Key], default fallback: Int, in range: ClosedRange<Int>, allowed: String? = nil) throws -> Int {
        for key in keys { if let value = try raw(key) { return try Self.integer(value, field: fieldPath(key), in: range, allowed: allowed) } }
        return fallback
    }

    /// A list of exactly `count` integers, each in `range`.
    func integers(_ key: Key, default fallback: [Int], count: Int, in range: ClosedRange<Int>, allowed: String? = nil) throws -> [Int] {
        guard let value = try raw(key) else { return fallback }
        guard case .array(let items) = value, items.count == count else {
            throw ConfigFieldError(field: fieldPath(key), value: value.description,
                                   allowed: "a list of \(count) integers from \(range.lowerBound) to \(range.upperBound)")
        }
        return try items.enumerated().map { i, item in
            try Self.integer(item, field: fieldPath(key, index: i), in: range, allowed: allowed)
        }
    }

    /// A finite number for which `isValid` holds.
    func number(_ key: Key, default fallback: Double, allowed: String, isValid: (Double) -> Bool) throws -> Double {
        guard let value = try raw(key) else { return fallback }
        guard case .number(let number) = value, number.isFinite, isValid(number) else {
            throw ConfigFieldError(field: fieldPath(key), value: value.description, allowed: allowed)
        }
        return number
    }

    func flag(_ key: Key, default fallback: Bool) throws -> Bool {
        guard let value = try raw(key) else { return fallback }
        guard case .bool(let flag) = value else {
            throw ConfigFieldError(field: fieldPath(key), value: value.description, allowed: "true or false")
        }
        return flag
    }

    func text(_ key: Key, default fallback: String) throws -> String {
        guard let value = try raw(key) else { return fallback }
        guard case .string(let text) = value else {
            throw ConfigFieldError(field: fieldPath(key), value: value.description, allowed: "a string")
        }
        return text
    }

    /// A list of strings (or absent).
    func texts(_ key: Key) throws -> [String]? {
        guard let value = try raw(key) else { return nil }
        guard case .array(let items) = value else {
            throw ConfigFieldError(field: fieldPath(key), value: value.description, allowed: "a list of strings")
        }
        return try items.enumerated().map { i, item in
            guard case .string(let text) = item else {
                throw ConfigFieldError(field: fieldPath(key, index: i), value: item.description, allowed: "a string")
            }
            return text
        }
    }

    static func integer(_ value: JSONValue, field: String, in range: ClosedRange<Int>, allowed: String?) throws -> Int {
        // Int(exactly:) rejects fractions, NaN, ±inf and anything beyond Int's range in one test.
        guard case .number(let number) = value, let integer = Int(exactly: number), range.contains(integer) else {
            throw ConfigFieldError(field: field, value: value.description,
                                   allowed: allowed ?? "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return integer
    }
}
