// Writing safetensors files (the logits dump other tools read), atomically.

import FileIO
import Foundation
import TensorCore

public struct SafetensorsWriter {
    struct Pending {
        var name: String
        var dtype: DType
        var shape: [Int]
        var bytes: [UInt8]
    }
    var pending: [Pending] = []
    public var metadata: [String: String] = [:]

    public init() {}

    public mutating func add(_ name: String, _ tensor: Tensor) {
        let bytes = tensor.scalars.withUnsafeBytes { Array($0) }
        append(Pending(name: name, dtype: .f32, shape: tensor.shape, bytes: bytes))
    }

    public mutating func add(_ name: String, shape: [Int], uint8 values: [UInt8]) {
        precondition(shape.reduce(1, *) == values.count)
        append(Pending(name: name, dtype: .u8, shape: shape, bytes: values))
    }

    public mutating func add(_ name: String, shape: [Int], int64 values: [Int64]) {
        precondition(shape.reduce(1, *) == values.count)
        append(Pending(name: name, dtype: .i64, shape: shape, bytes: values.withUnsafeBytes { Array($0) }))
    }

    /// A tensor stored narrow: F16 or BF16 bits (for tests of the loaders).
    public mutating func add(_ name: String, _ tensor: Tensor, as dtype: DType) {
        switch dtype {
        case .f16:
            let bits = tensor.scalars.map(halfFromFloat)
            append(Pending(name: name, dtype: .f16, shape: tensor.shape, bytes: bits.withUnsafeBytes { Array($0) }))
        case .bf16:
            let bits = tensor.scalars.map(bfloat16FromFloat)
            append(Pending(name: name, dtype: .bf16, shape: tensor.shape, bytes: bits.withUnsafeBytes { Array($0) }))
        default:
            add(name, tensor)
        }
    }

    mutating func append(_ item: Pending) {
        precondition(!pending.contains { $0.name == item.name }, "duplicate tensor name \(item.name)")
        pending.append(item)
    }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for item in pending {
            header[item.name] = ["dtype": item.dtype.rawValue, "shape": item.shape, "data_offsets": [offset, offset + item.bytes.count]] as [String: Any]
            offset += item.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        // Sorted keys keep the file byte-identical from run to run.
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        let length = UInt64(json.count)
        for i in 0..<8 { out.append(UInt8((length >> (8 * UInt64(i))) & 0xFF)) }
        out.append(contentsOf: json)
        for item in pending { out.append(contentsOf: item.bytes) }
        return out
    }

    public func write(to path: String, overwrite: OverwritePolicy = .refuse) throws {
        try AtomicFile.write(serialized(), to: path, overwrite: overwrite)
    }
}
