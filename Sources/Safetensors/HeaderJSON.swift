// A strict JSON reader for safetensors headers, the part of the file a stranger controls.
//
// Foundation's JSONSerialization is not used: it keeps one of two duplicate keys without a word,
// reads integers through Double (2^53 + 1 comes back as 2^53, so a size check can pass on a value
// that is not the one in the file) and recurses without a depth limit (a header of 10^6 '[' would
// overflow the stack). This reader keeps keys in file order, refuses duplicates, keeps integers
// exact (or as text when they do not fit in an Int) and stops at a fixed nesting depth.

/// One JSON value as it appears in the header.
indirect enum HeaderValue: Sendable {
    /// Members in file order; keys are unique (duplicates are an error).
    case object([(key: String, value: HeaderValue)])
    case array([HeaderValue])
    case string(String)
    /// An integer written without fraction or exponent that fits in an Int.
    case integer(Int)
    /// Any other number, as written (fractions, exponents, integers beyond Int).
    case number(String)
    case bool(Bool)
    case null

    /// The value as it would be written, for error messages and metadata (short, not escaped).
    var text: String {
        switch self {
        case .object(let members): return "{" + members.map { "\"\($0.key)\": \($0.value.text)" }.joined(separator: ", ") + "}"
        case .array(let values): return "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .string(let s): return "\"\(s)\""
        case .integer(let n): return String(n)
        case .number(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// What kind of value this is, for "expected an array, found a string".
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// Why the header is not JSON, with the byte offset inside the header.
struct HeaderJSONError: Error {
    var detail: String
    var offset: Int
}

struct HeaderJSONParser {
    /// Deeper nesting than any real header (which nests 3 levels) is refused, not recursed into.
    static let maximumDepth = 32

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0

    /// Parses exactly one value surrounded by optional whitespace (safetensors pads with spaces).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(HeaderJSONError) -> HeaderValue {
        var parser = HeaderJSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the end of the JSON value") }
        return value
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func error(_ detail: String) -> HeaderJSONError { HeaderJSONError(detail: detail, offset: position) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
    }

    private mutating func expect(_ literal: StaticString) throws(HeaderJSONError) {
        let text = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes.count - position >= text.count, text.indices.allSatisfy({ bytes[position + $0] == text[$0] }) else {
            throw error("not a JSON value")
        }
        position += text.count
    }

    private mutating func parseValue() throws(HeaderJSONError) -> HeaderValue {
        guard let c = current else { throw error("the header ends inside a value") }
        switch c {
        case UInt8(ascii: "{"): return try nested { (p: inout HeaderJSONParser) throws(HeaderJSONError) in try p.parseObject() }
        case UInt8(ascii: "["): return try nested { (p: inout HeaderJSONParser) throws(HeaderJSONError) in try p.parseArray() }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("not a JSON value")
        }
    }

    private mutating func nested(_ body: (inout HeaderJSONParser) throws(HeaderJSONError) -> HeaderValue) throws(HeaderJSONError) -> HeaderValue {
        guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func parseObject() throws(HeaderJSONError) -> HeaderValue {
        position += 1  // {
        var members: [(key: String, value: HeaderValue)] = []
        var keys = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let keyOffset = position
            let key = try parseString()
            guard keys.insert(key).inserted else {
                throw HeaderJSONError(detail: "key '\(key)' appears twice", offset: keyOffset)
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after key '\(key)'") }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray() throws(HeaderJSONError) -> HeaderValue {
        position += 1  // [
        var values: [HeaderValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(values) }
        while true {
            skipWhitespace()
            values.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(values)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func parseHex4() throws(HeaderJSONError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("the header ends inside a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func parseString() throws(HeaderJSONError) -> String {
        position += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let c = current else { throw error("the header ends inside a string") }
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                let text = String(decoding: utf8, as: UTF8.self)
                // String(decoding:) repairs bad UTF-8; a repaired string is not the one in the file.
                guard text.utf8.elementsEqual(utf8) else { throw error("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard let e = current else { throw error("the header ends inside a string") }
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by \u and a low surrogate.
                        guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in a \\u escape") }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("unpaired surrogate in a \\u escape") }
                    utf8.append(contentsOf: String(Character(unicode)).utf8)
                default: throw error("bad escape in a string")
                }
            case 0..<0x20: throw error("a control character inside a string")
            default: utf8.append(c)
            }
        }
    }

    private mutating func parseNumber() throws(HeaderJSONError) -> HeaderValue {
        let start = position
        func digits(_ p: inout HeaderJSONParser) -> Int {
            let from = p.position
            while let c = p.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { p.position += 1 }
            return p.position - from
        }
        if current == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("a number without digits") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("a number with a leading zero") }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard digits(&self) > 0 else { throw error("a number without digits after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            isInteger = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw error("a number without exponent digits") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        return .number(text)
    }
}
