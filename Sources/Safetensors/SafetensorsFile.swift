// Reading safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header, then raw little-endian tensor data. The file is memory-mapped and every
// header field is checked against the file before any tensor is read.

import FileIO
import Foundation
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

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(path: path, detail: "\(bytes.count) bytes, too short for the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.truncated(
                path: path, detail: "header says it is \(headerLength) bytes long but the file has only \(bytes.count - 8) after the length")
        }
        guard headerLength <= 100_000_000 else {
            throw SafetensorsError.badHeader(path: path, detail: "header length \(headerLength) is implausibly large")
        }
        dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let headerData = Data(bytes[8..<dataStart])
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw SafetensorsError.badHeader(path: path, detail: "the header is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw SafetensorsError.badHeader(path: path, detail: "the header is not a JSON object")
        }
        var entries: [String: TensorEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                if let values = value as? [String: Any] {
                    for (k, v) in values { metadata[k] = v as? String ?? "\(v)" }
                }
                continue
            }
            entries[name] = try Self.parseEntry(name: name, value: value, dataSize: dataSize, path: path)
        }
        // Tensors must not overlap: a header that lies about offsets is rejected here.
        let sorted = entries.values.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.dataRange.lowerBound < previous.dataRange.upperBound {
            throw SafetensorsError.badHeader(
                path: path, detail: "tensors '\(previous.name)' and '\(next.name)' overlap in the data section")
        }
        self.entries = entries
        self.metadata = metadata
    }

    static func parseEntry(name: String, value: Any, dataSize: Int, path: String) throws -> TensorEntry {
        guard let fields = value as? [String: Any],
              let dtypeName = fields["dtype"] as? String,
              let shapeValues = fields["shape"] as? [Any],
              let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2
        else {
            throw SafetensorsError.badHeader(path: path, detail: "entry '\(name)' lacks dtype, shape or data_offsets")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        var shape: [Int] = []
        for dimension in shapeValues {
            guard let number = dimension as? NSNumber, let size = Int(exactly: number.doubleValue), size >= 0 else {
                throw SafetensorsError.badHeader(path: path, detail: "tensor '\(name)' has a bad shape \(shapeValues)")
            }
            shape.append(size)
        }
        guard let beginNumber = offsetValues[0] as? NSNumber, let endNumber = offsetValues[1] as? NSNumber,
              let begin = Int(exactly: beginNumber.doubleValue), let end = Int(exactly: endNumber.doubleValue),
              begin >= 0, begin <= end
        else {
            throw SafetensorsError.badHeader(path: path, detail: "tensor '\(name)' has bad data_offsets \(offsetValues)")
        }
        guard end <= dataSize else {
            throw SafetensorsError.truncated(
                path: path, detail: "header says tensor '\(name)' ends at byte \(end) of the data but the data has \(dataSize) bytes")
        }
        let elements = shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue })
        guard end - begin == elements * dtype.byteSize else {
            throw SafetensorsError.badHeader(
                path: path, detail: "tensor '\(name)' is \(dtype.rawValue) \(shape) = \(elements * dtype.byteSize) bytes but its data_offsets span \(end - begin)")
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    public func entry(_ name: String) throws -> TensorEntry {
        guard let entry = entries[name] else { throw SafetensorsError.missingTensor(path: path, tensor: name) }
        return entry
    }

    /// The raw bytes of a tensor, still mapped from the file.
    public func rawBytes(of entry: TensorEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)])
    }

    /// A floating-point tensor as F32 (F16, BF16 and F64 are converted).
    public func floatTensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let raw = rawBytes(of: entry)
        let count = entry.elementCount
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
