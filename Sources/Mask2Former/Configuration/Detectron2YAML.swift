// The subset of YAML detectron2's config files use, read without evaluating anything: block mappings
// by indentation, flow lists `[a, b]`, quoted and plain scalars, comments. detectron2 loads them with
// PyYAML's unsafe loader (a later duplicate key wins), so `!!python/object/apply:eval [...]` there
// runs Python; here it stays an unevaluated `.tagged` value, refused if a key maskscope reads holds one.

import Foundation

/// One parsed YAML value.
public indirect enum Detectron2YAMLValue: Sendable, Equatable {
    /// Keys in file order; a duplicated key keeps its last value, as PyYAML does.
    case mapping([String: Detectron2YAMLValue])
    case list([Detectron2YAMLValue])
    /// The scalar's text with quotes removed (`quoted` tells a string from a bare word or number).
    case scalar(String, quoted: Bool)
    /// A `!!tag value` node, never evaluated.
    case tagged(tag: String, text: String)

    public subscript(key: String) -> Detectron2YAMLValue? {
        if case .mapping(let entries) = self { return entries[key] }
        return nil
    }
}

/// A detectron2 YAML file that could not be read, one line.
public struct Detectron2ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var detail: String
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(detail)"
    }
}

/// Parses the text of one detectron2 config file (no `_BASE_` handling; see Detectron2ConfigFile).
struct Detectron2YAMLParser {
    /// Deeper nesting than any detectron2 config (they go 4 levels deep) is refused, not recursed into.
    static let maximumDepth = 32

    let file: String
    var lines: [(number: Int, indent: Int, text: String)] = []
    var position = 0

    init(text: String, file: String) throws {
        self.file = file
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.contains("\t") && line.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                throw Detectron2ConfigError(file: file, line: index + 1, detail: "a tab in the indentation; YAML indents with spaces")
            }
            let stripped = Self.removingComment(line)
            let trimmed = stripped.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed == "---" { continue }
            lines.append((index + 1, stripped.prefix(while: { $0 == " " }).count, trimmed))
        }
    }

    /// The line without a `#` comment (a `#` inside quotes, or not after a space, is text).
    static func removingComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, character) in line.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" && (previous == " " || offset == 0) {
                return String(line.prefix(offset))
            }
            previous = character
        }
        return line
    }

    mutating func parseDocument() throws -> Detectron2YAMLValue {
        guard !lines.isEmpty else { return .mapping([:]) }
        let value = try parseMapping(indent: lines[0].indent, depth: 0)
        if position < lines.count {
            throw Detectron2ConfigError(file: file, line: lines[position].number, detail: "indentation does not match any enclosing key")
        }
        return value
    }

    mutating func parseMapping(indent: Int, depth: Int) throws -> Detectron2YAMLValue {
        guard depth < Self.maximumDepth else {
            throw Detectron2ConfigError(file: file, line: lines[position].number, detail: "nested deeper than \(Self.maximumDepth) levels")
        }
        var entries: [String: Detectron2YAMLValue] = [:]
        while position < lines.count && lines[position].indent == indent {
            let line = lines[position]
            guard let colon = Self.keySeparator(in: line.text) else {
                throw Detectron2ConfigError(file: file, line: line.number, detail: "expected `KEY: value`, found '\(line.text.prefix(60))'")
            }
            let key = Self.unquoted(String(line.text[..<colon]).trimmingCharacters(in: .whitespaces))
            let rest = String(line.text[line.text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            position += 1
            if rest.isEmpty {
                if position < lines.count && lines[position].indent > indent {
                    if lines[position].text.hasPrefix("- ") || lines[position].text == "-" {
                        entries[key] = try parseBlockList(indent: lines[position].indent, depth: depth + 1)
                    } else {
                        entries[key] = try parseMapping(indent: lines[position].indent, depth: depth + 1)
                    }
                } else {
                    entries[key] = .scalar("", quoted: false)  // YAML null
                }
            } else {
                entries[key] = try parseInline(rest, line: line.number, depth: depth + 1)
            }
        }
        if position < lines.count && lines[position].indent > indent {
            throw Detectron2ConfigError(file: file, line: lines[position].number, detail: "unexpected indentation")
        }
        return .mapping(entries)
    }

    mutating func parseBlockList(indent: Int, depth: Int) throws -> Detectron2YAMLValue {
        var items: [Detectron2YAMLValue] = []
        while position < lines.count && lines[position].indent == indent && (lines[position].text.hasPrefix("- ") || lines[position].text == "-") {
            let line = lines[position]
            position += 1
            items.append(try parseInline(String(line.text.dropFirst()).trimmingCharacters(in: .whitespaces), line: line.number, depth: depth + 1))
        }
        return .list(items)
    }

    /// The `:` that ends the key: the first one outside quotes followed by a space or the line's end.
    static func keySeparator(in text: String) -> String.Index? {
        var quote: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " { return index }
            } else if character == "[" || character == "{" {
                return nil
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// A value written on the key's line: a tag, a flow list, or a scalar.
    func parseInline(_ text: String, line: Int, depth: Int) throws -> Detectron2YAMLValue {
        guard depth < Self.maximumDepth else {
            throw Detectron2ConfigError(file: file, line: line, detail: "nested deeper than \(Self.maximumDepth) levels")
        }
        if text.hasPrefix("!") {
            let tag = String(text.prefix(while: { $0 != " " }))
            return .tagged(tag: tag, text: String(text.dropFirst(tag.count)).trimmingCharacters(in: .whitespaces))
        }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else {
                throw Detectron2ConfigError(file: file, line: line, detail: "a list '[' without its ']' on the same line")
            }
            return .list(try Self.splitFlow(String(text.dropFirst().dropLast()), file: file, line: line).map {
                try parseInline($0, line: line, depth: depth + 1)
            })
        }
        if text.hasPrefix("{") {
            throw Detectron2ConfigError(file: file, line: line, detail: "flow mappings '{…}' are not used by detectron2 configs and not read")
        }
        if let first = text.first, first == "\"" || first == "'" {
            guard text.count >= 2, text.last == first else {
                throw Detectron2ConfigError(file: file, line: line, detail: "an unterminated quoted string")
            }
            return .scalar(String(text.dropFirst().dropLast()), quoted: true)
        }
        return .scalar(text, quoted: false)
    }

    /// Splits a flow list's inside at top-level commas (not inside quotes or brackets).
    static func splitFlow(_ text: String, file: String, line: Int) throws -> [String] {
        var items: [String] = []
        var current = ""
        var quote: Character?
        var depth = 0
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "[" || character == "(" {
                depth += 1
            } else if character == "]" || character == ")" {
                depth -= 1
            } else if character == "," && depth == 0 {
                items.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(character)
        }
        guard quote == nil && depth == 0 else {
            throw Detectron2ConfigError(file: file, line: line, detail: "unbalanced quotes or brackets in a list")
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { items.append(last) }
        return items
    }

    static func unquoted(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
