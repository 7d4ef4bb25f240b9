// Reading a JSON file a user gave us: through MappedFile (so a FIFO or device is refused, never waited
// on), with a size limit, and with decoding errors as one sentence naming the file and the field.

import Foundation

public enum JSONFile {
    /// Larger than any dataset annotation file we know of (COCO's instances_train2017.json is 450 MB).
    public static let defaultSizeLimit = 2 << 30

    public static func decode<T: Decodable>(_ type: T.Type, path: String, expecting what: String,
                                            sizeLimit: Int = defaultSizeLimit) throws -> T {
        let file = try MappedFile(path: path)
        guard file.count <= sizeLimit else {
            throw FileError.invalidContent(path: path, reason: "\(file.count) bytes is too large for \(what) (limit \(sizeLimit))")
        }
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: file.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                        count: file.count, deallocator: .none)
        do {
            return try withExtendedLifetime(file) { try JSONDecoder().decode(T.self, from: data) }
        } catch let error as DecodingError {
            throw FileError.invalidContent(path: path, reason: "not \(what): \(describe(error))")
        }
    }

    /// A DecodingError in one clause: which field, what was wrong.
    public static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(field(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(field(context.codingPath))' is not \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(field(context.codingPath))' is null, expected \(typeName(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field '\(field(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "the expected kind of value"
        }
    }
}
