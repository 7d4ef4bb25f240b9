// A detectron2 checkpoint (`model_final_<hash>.pkl` of facebookresearch/Mask2Former's MODEL_ZOO): a
// pickle of {"model": {name: numpy.ndarray}, …}, written with Latin-1 strings in protocol 2 (bytes
// as `_codecs.encode`) or 4. Arrays are read as data through the same restricted unpickler; numpy's
// reconstruct functions are interpreted, never called. Array bytes stay in the memory map.

import FileIO
import Safetensors
import TensorCore

public struct DetectronArrayEntry: Sendable, Equatable {
    public var name: String
    /// nil for dtypes maskscope cannot read (object arrays, complex).
    public var dtype: DType?
    public var shape: [Int]
    public var elementCount: Int
    /// The array's bytes: a range of the file, or an array made while unpickling (`ownedBytes`).
    var data: PickleValue
}

public final class DetectronCheckpointFile: @unchecked Sendable {
    public let path: String
    public let entries: [String: DetectronArrayEntry]
    public let names: [String]
    let file: MappedFile
    let ownedBytes: [[UInt8]]

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        var unpickler = Unpickler(bytes: file.bytes, path: path)
        let root = try unpickler.load()
        let arena = unpickler.arena
        ownedBytes = arena.ownedBytes
        func bad(_ detail: String) -> TorchCheckpointError { .badContents(path: path, detail: detail) }
        guard let top = arena.stringKeyed(root) else { throw bad("the pickle is not a dict; a detectron2 checkpoint is {\"model\": {name: array}}") }
        let model = top.first { $0.0 == "model" }.flatMap { arena.stringKeyed($0.1) } ?? top
        var entries: [String: DetectronArrayEntry] = [:]
        var names: [String] = []
        for (name, value) in model {
            guard case .numpyArray(let index) = value else { continue }
            let array = arena.arrays[index]
            guard let numpyType = array.dtype else { throw bad("array '\(name)' has no dtype") }
            guard !numpyType.bigEndian else { throw bad("array '\(name)' is big-endian; only little-endian arrays are read") }
            guard !array.fortranOrder || array.shape.filter({ $0 > 1 }).count <= 1 else {
                throw bad("array '\(name)' is in Fortran order, which detectron2 never writes")
            }
            var count = 1
            for size in array.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard size >= 0, !overflow else { throw bad("array '\(name)' has shape \(array.shape), whose size overflows") }
                count = product
            }
            let length: Int
            switch array.data {
            case .bytes(let range): length = range.count
            case .ownedBytes(let owned): length = arena.ownedBytes[owned].count
            default: throw bad("array '\(name)' holds no raw data (an object array?)")
            }
            if let dtype = numpyType.dtype {
                let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
                guard !overflow, bytes == length else {
                    throw bad("array '\(name)' is \(numpyType.code) \(array.shape) = \(count) elements but holds \(length) bytes; the file is damaged")
                }
            }
            entries[name] = DetectronArrayEntry(name: name, dtype: numpyType.dtype, shape: array.shape, elementCount: count, data: array.data)
            names.append(name)
        }
        guard !names.isEmpty else { throw bad("the pickle holds no arrays; it is not a detectron2 checkpoint") }
        self.entries = entries
        self.names = names
    }

    public func entry(_ name: String) throws -> DetectronArrayEntry {
        guard let entry = entries[name] else { throw TorchCheckpointError.badContents(path: path, detail: "no array named '\(name)'") }
        return entry
    }

    /// A floating-point array as F32 (F64 and F16 converted).
    public func floatTensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let count = entry.elementCount
        return try withBytes(entry) { raw in
            switch entry.dtype {
            case .f32?: return Tensor(shape: entry.shape) { out in for i in 0..<count { out[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) } }
            case .f64?: return Tensor(shape: entry.shape) { out in for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) } }
            case .f16?: return Tensor(shape: entry.shape) { out in for i in 0..<count { out[i] = floatFromHalf(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) } }
            default:
                throw TorchCheckpointError.badContents(path: path, detail: "array '\(name)' is \(entry.dtype?.rawValue ?? "of an unreadable type"), expected a floating-point type")
            }
        }
    }

    /// An integer array widened to Int64 (`num_batches_tracked`, `relative_position_index`).
    public func integerValues(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        return try withBytes(entry) { raw in
            switch entry.dtype {
            case .i64?: return (0..<entry.elementCount).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
            case .i32?: return (0..<entry.elementCount).map { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case .u8?, .bool?: return (0..<entry.elementCount).map { Int64(raw[$0]) }
            default:
                throw TorchCheckpointError.badContents(path: path, detail: "array '\(name)' is \(entry.dtype?.rawValue ?? "of an unreadable type"), expected an integer type")
            }
        }
    }

    func withBytes<T>(_ entry: DetectronArrayEntry, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        switch entry.data {
        case .bytes(let range): return try body(UnsafeRawBufferPointer(rebasing: file.bytes[range]))
        case .ownedBytes(let index): return try ownedBytes[index].withUnsafeBytes(body)
        default: return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}
