// Reading safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header, then raw little-endian tensor data. The file is memory-mapped and every
// header field is checked against the file before any tensor is read.

import FileIO
import TensorCore

/// Where one tensor lives in the file.
public struct TensorEntry: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Byte range within the data section (after the header).
    public var dataRange: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let entries: [String: TensorEntry]
    public let metadata: [String: String]
    let file: MappedFile
    let dataStart: Int

    /// Names in file order (by data offset).
    public var names: [String] {
        entries.values.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound || ($0.dataRange.lowerBound == $1.dataRange.lowerBound && $0.name < $1.name) }.map(\.name)
    }

    /// Headers longer than this are refused before anything is parsed (real ones are under 1 MB).
    static let maximumHeaderLength: UInt64 = 100_000_000

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(path: path, detail: "\(bytes.count) bytes, too short for the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= Self.maximumHeaderLength else {
            // Also catches lengths that are negative as a signed integer, or beyond Int.
            throw SafetensorsError.badHeader(path: path, detail: "header length \(headerLength) is implausibly large (the limit is \(Self.maximumHeaderLength) bytes)")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.truncated(
                path: path, detail: "header says it is \(headerLength) bytes long but the file has only \(bytes.count - 8) after the length")
        }
        dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let root: HeaderValue
        do {
            root = try HeaderJSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]))
        } catch {
            throw SafetensorsError.badHeader(path: path, detail: "the header is not valid JSON (\(error.detail) at byte \(8 + error.offset))")
        }
        guard case .object(let members) = root else {
            throw SafetensorsError.badHeader(path: path, detail: "the header is \(root.kind), not a JSON object")
        }
        var entries: [String: TensorEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let values) = value else {
                    throw SafetensorsError.badHeader(path: path, detail: "__metadata__ is \(value.kind), not an object")
                }
                for (k, v) in values {
                    if case .string(let text) = v { metadata[k] = text } else { metadata[k] = v.text }
                }
                continue
            }
            entries[name] = try Self.parseEntry(name: name, value: value, dataSize: dataSize, path: path)
        }
        // Tensors must not overlap: a header that lies about offsets is rejected here.
        let sorted = entries.values.sorted {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name)
        }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.dataRange.lowerBound < previous.dataRange.upperBound {
            throw SafetensorsError.badHeader(
                path: path, detail: "tensors '\(previous.name)' and '\(next.name)' overlap in the data section (bytes \(previous.dataRange) and \(next.dataRange))")
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// Checks one header entry against the file. Every size is computed with overflow checks: a
    /// shape such as [2^32, 2^32] must be an error naming the tensor, not a trap.
    static func parseEntry(name: String, value: HeaderValue, dataSize: Int, path: String) throws -> TensorEntry {
        func bad(_ detail: String) -> SafetensorsError { .badTensor(path: path, tensor: name, detail: detail) }
        guard case .object(let members) = value else { throw bad("is \(value.kind), expected an object with dtype, shape and data_offsets") }
        var fields: [String: HeaderValue] = [:]
        for (key, field) in members { fields[key] = field }
        guard let dtypeValue = fields["dtype"], let shapeValue = fields["shape"], let offsetsValue = fields["data_offsets"] else {
            let missing = ["dtype", "shape", "data_offsets"].filter { fields[$0] == nil }
            throw bad("lacks \(missing.joined(separator: ", "))")
        }
        guard case .string(let dtypeName) = dtypeValue else { throw bad("has dtype \(dtypeValue.text), expected a string such as \"F32\"") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard case .array(let dimensions) = shapeValue else { throw bad("has shape \(shapeValue.text), expected a list of sizes") }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .integer(let size) = dimension, size >= 0 else {
                throw bad("has shape \(shapeValue.text): every size must be a whole number from 0 to \(Int.max)")
            }
            shape.append(size)
        }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1]
        else { throw bad("has data_offsets \(offsetsValue.text), expected [begin, end] with two whole numbers") }
        guard begin >= 0, end >= 0 else { throw bad("has negative data_offsets \(offsetsValue.text)") }
        guard begin <= end else { throw bad("has data_offsets \(offsetsValue.text) that end before they begin") }
        guard end <= dataSize else {
            throw SafetensorsError.truncated(
                path: path, detail: "header says tensor '\(name)' ends at byte \(end) of the data but the data has \(dataSize) bytes")
        }
        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw bad("has shape \(shape), whose element count overflows a 64-bit integer") }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw bad("is \(dtype.rawValue) \(shape): \(elements) elements of \(dtype.byteSize) bytes overflow a 64-bit size")
        }
        guard end - begin == byteCount else {
            throw bad("is \(dtype.rawValue) \(shape) = \(byteCount) bytes but its data_offsets span \(end - begin)")
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    public func entry(_ name: String) throws -> TensorEntry {
        guard let entry = entries[name] else { throw SafetensorsError.missingTensor(path: path, tensor: name) }
        return entry
    }

    /// The raw bytes of a tensor, still mapped from the file: valid only while this object is alive
    /// (keep it with `withExtendedLifetime` if the pointer outlives your last use of the file).
    public func rawBytes(of entry: TensorEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)])
    }

    /// A floating-point tensor as F32. Aligned F32 data is borrowed straight from the map (the tensor
    /// keeps the mapping alive), so the weights are resident once, as the file's pages. Anything else
    /// (F16, BF16, F64, or F32 at an offset not a multiple of 4) is converted into owned memory and the
    /// mapped pages it came from are released (MappedFile.releasePages), so it is not resident twice.
    public func floatTensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let raw = rawBytes(of: entry)
        let count = entry.elementCount
        if entry.dtype == .f32, count > 0, Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0 {
            return Tensor(shape: entry.shape, borrowing: BorrowedScalars(raw.assumingMemoryBound(to: Float.self), owner: file))
        }
        defer { releasePages(of: entry) }
        switch entry.dtype {
        case .f32:
            return Tensor(shape: entry.shape) { out in
                if count > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: raw) }
            }
        case .f16:
            return Tensor(shape: entry.shape) { out in
                for i in 0..<count { out[i] = floatFromHalf(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        case .bf16:
            return Tensor(shape: entry.shape) { out in
                for i in 0..<count { out[i] = floatFromBFloat16(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        case .f64:
            return Tensor(shape: entry.shape) { out in
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            }
        default:
            throw SafetensorsError.wrongDType(path: path, tensor: name, dtype: entry.dtype.rawValue, expected: "a floating-point type")
        }
    }

    /// Drops a tensor's resident pages (those wholly inside it): for weights the model has copied or
    /// transformed and will not read from the file again. Borrowed tensors stay valid: their pages
    /// are read back from the file if used.
    public func releasePages(of entry: TensorEntry) {
        file.releasePages((dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound))
    }

    /// An integer tensor's values widened to Int64 (for index buffers and label maps).
    public func integerValues(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        let raw = rawBytes(of: entry)
        let n = entry.elementCount
        switch entry.dtype {
        case .i64: return (0..<n).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
        case .u64: return (0..<n).map { Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
        case .i32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .u32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        case .i16: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .u16: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        case .i8: return (0..<n).map { Int64(Int8(bitPattern: raw[$0])) }
        case .u8, .bool: return (0..<n).map { Int64(raw[$0]) }
        default:
            throw SafetensorsError.wrongDType(path: path, tensor: name, dtype: entry.dtype.rawValue, expected: "an integer type")
        }
    }
}
