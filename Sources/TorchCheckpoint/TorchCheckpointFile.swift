// A `pytorch_model.bin` in torch's zip format (torch.save since PyTorch 1.6): `<prefix>/data.pkl`
// holds the state dict with each storage as a persistent id, and `<prefix>/data/<key>` holds that
// storage's bytes, read straight from the memory map. See torch/serialization.py (_load).

import FileIO
import Safetensors
import TensorCore

/// One tensor of the checkpoint: a strided view of a storage member.
public struct TorchTensorEntry: Sendable, Equatable {
    public var name: String
    /// nil for element types maskscope cannot read (complex, quantised).
    public var dtype: DType?
    public var storageType: String
    public var shape: [Int]
    public var strides: [Int]
    /// In elements, from the start of the storage.
    public var storageOffset: Int
    /// The storage's bytes in the file.
    public var storageRange: Range<Int>
    public var elementCount: Int
}

public final class TorchCheckpointFile: @unchecked Sendable {
    public let path: String
    public let entries: [String: TorchTensorEntry]
    /// Tensor names in pickle order.
    public let names: [String]
    let archive: ZipArchive

    public init(path: String) throws {
        self.path = path
        archive = try ZipArchive(path: path)
        let pickles = archive.names.filter { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }
        guard pickles.count == 1, let pickleName = pickles.first, let pickle = archive.members[pickleName] else {
            throw TorchCheckpointError.badArchive(path: path, detail: "expected one data.pkl member, found \(pickles.count); this zip is not a torch.save checkpoint")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = archive.members[prefix + "byteorder"] {
            let text = String(decoding: archive.data(of: order), as: UTF8.self)
            guard text == "little" else {
                throw TorchCheckpointError.badContents(path: path, detail: "storages are \(text)-endian; only little-endian checkpoints are read")
            }
        }
        let pickleBytes = archive.data(of: pickle)
        guard crc32(pickleBytes) == pickle.crc32 else {
            throw TorchCheckpointError.badArchive(path: path, detail: "\(pickleName) fails its CRC check")
        }
        var unpickler = Unpickler(bytes: pickleBytes, path: path, persistentLoad: Self.storageReference(path: path))
        let root = try unpickler.load()
        let arena = unpickler.arena
        let stateDict = try Self.stateDict(root, arena: arena, path: path)
        var entries: [String: TorchTensorEntry] = [:]
        var names: [String] = []
        for (name, value) in stateDict {
            guard case .tensor(let index) = value else { continue }
            let view = arena.tensors[index]
            let storage = arena.storages[view.storage]
            guard let member = archive.members[prefix + "data/" + storage.key] else {
                throw TorchCheckpointError.badContents(path: path, detail: "tensor '\(name)' uses storage '\(storage.key)', which the archive lacks")
            }
            entries[name] = try Self.entry(name: name, view: view, storage: storage, member: member, path: path)
            names.append(name)
        }
        guard !names.isEmpty else {
            throw TorchCheckpointError.badContents(path: path, detail: "the pickle holds no tensors; it is not a model's state dict")
        }
        self.entries = entries
        self.names = names
    }

    /// torch's storage persistent id: ('storage', StorageType, key, location, numel).
    static func storageReference(path: String) -> (PickleValue, inout PickleArena) throws -> PickleValue {
        var known: [String: Int] = [:]
        return { id, arena in
            guard case .tuple(let index) = id, arena.tuples[index].count >= 5 else {
                throw TorchCheckpointError.badContents(path: path, detail: "a persistent id is not torch's ('storage', type, key, location, size)")
            }
            let fields = arena.tuples[index]
            guard case .string("storage") = fields[0], case .global(.storageType(let dtype)) = fields[1],
                  case .string(let key) = fields[2], case .int(let count) = fields[4], count >= 0 else {
                throw TorchCheckpointError.badContents(path: path, detail: "a persistent id is not torch's ('storage', type, key, location, size)")
            }
            if let existing = known[key] { return .storage(existing) }
            // An unreadable element type parses, and is refused only if a weight is read from it.
            arena.storages.append(StorageReference(dtype: dtype, key: key, elementCount: count))
            known[key] = arena.storages.count - 1
            return .storage(arena.storages.count - 1)
        }
    }

    /// The state dict: the pickle's top dict, or the dict under "state_dict" / "model" in a training checkpoint.
    static func stateDict(_ root: PickleValue, arena: PickleArena, path: String) throws -> [(String, PickleValue)] {
        guard let top = arena.stringKeyed(root) else {
            throw TorchCheckpointError.badContents(path: path, detail: "the pickle holds no dict of tensors; it is not a model's state dict")
        }
        if top.contains(where: { if case .tensor = $0.1 { return true } else { return false } }) { return top }
        for key in ["state_dict", "model"] {
            if let value = top.first(where: { $0.0 == key })?.1, let nested = arena.stringKeyed(value) { return nested }
        }
        return top
    }

    static func entry(name: String, view: TensorView, storage: StorageReference, member: ZipMember, path: String) throws -> TorchTensorEntry {
        func bad(_ detail: String) -> TorchCheckpointError { .badContents(path: path, detail: "tensor '\(name)' \(detail)") }
        let elementSize = storage.dtype?.byteSize ?? 1
        let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: elementSize)
        guard !overflow, storageBytes <= member.dataRange.count else {
            throw bad("needs \(storage.elementCount) elements of storage '\(storage.key)' but its member holds \(member.dataRange.count) bytes; the file is truncated")
        }
        guard view.storageOffset >= 0, view.shape.allSatisfy({ $0 >= 0 }), view.strides.allSatisfy({ $0 >= 0 }) else {
            throw bad("has a negative size, stride or offset")
        }
        var count = 1
        var last = view.storageOffset
        for (size, stride) in zip(view.shape, view.strides) {
            let (product, o1) = count.multipliedReportingOverflow(by: size)
            let (step, o2) = (size - 1).multipliedReportingOverflow(by: stride)
            let (reach, o3) = last.addingReportingOverflow(size > 0 ? step : 0)
            guard !o1, !o2, !o3 else { throw bad("has sizes \(view.shape) and strides \(view.strides) that overflow") }
            (count, last) = (product, reach)
        }
        guard count == 0 || last < storage.elementCount else {
            throw bad("reaches element \(last) of storage '\(storage.key)', which has \(storage.elementCount)")
        }
        let start = member.dataRange.lowerBound
        return TorchTensorEntry(name: name, dtype: storage.dtype, storageType: storage.key,
                                shape: view.shape, strides: view.strides, storageOffset: view.storageOffset,
                                storageRange: start..<(start + storageBytes), elementCount: count)
    }

    public func entry(_ name: String) throws -> TorchTensorEntry {
        guard let entry = entries[name] else {
            throw TorchCheckpointError.badContents(path: path, detail: "no tensor named '\(name)'")
        }
        return entry
    }

    /// Whether the view is the row-major run of elements from its offset (what state dicts hold).
    static func isContiguous(_ entry: TorchTensorEntry) -> Bool {
        var expected = 1
        for (size, stride) in zip(entry.shape, entry.strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// The storage element index of each tensor element, in row-major order.
    static func elementIndices(_ entry: TorchTensorEntry) -> [Int] {
        if isContiguous(entry) { return Array(entry.storageOffset..<(entry.storageOffset + entry.elementCount)) }
        var indices = [Int](repeating: 0, count: entry.elementCount)
        guard entry.elementCount > 0 else { return indices }
        var position = [Int](repeating: 0, count: entry.shape.count)
        var offset = entry.storageOffset
        for i in 0..<entry.elementCount {
            indices[i] = offset
            var axis = entry.shape.count - 1
            while axis >= 0 {
                position[axis] += 1
                offset += entry.strides[axis]
                if position[axis] < entry.shape[axis] { break }
                offset -= entry.strides[axis] * entry.shape[axis]
                position[axis] = 0
                axis -= 1
            }
        }
        return indices
    }

    /// A floating-point tensor as F32 (F16, BF16 and F64 are converted), in row-major order.
    public func floatTensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let raw = UnsafeRawBufferPointer(rebasing: archive.bytes[entry.storageRange])
        let load: (Int) -> Float
        switch entry.dtype {
        case .f32?: load = { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        case .f16?: load = { floatFromHalf(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        case .bf16?: load = { floatFromBFloat16(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        case .f64?: load = { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
        default:
            throw TorchCheckpointError.badContents(path: path, detail: "tensor '\(name)' is \(entry.dtype?.rawValue ?? "of an unreadable type"), expected a floating-point type")
        }
        if entry.dtype == .f32, Self.isContiguous(entry) {
            // The common case: one copy out of the map.
            let start = 4 * entry.storageOffset
            return Tensor(shape: entry.shape) { out in
                if entry.elementCount > 0 {
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * entry.elementCount)]))
                }
            }
        }
        let indices = Self.elementIndices(entry)
        return Tensor(shape: entry.shape) { out in
            for i in indices.indices { out[i] = load(indices[i]) }
        }
    }

    /// An integer tensor's values widened to Int64 (index buffers).
    public func integerValues(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        let raw = UnsafeRawBufferPointer(rebasing: archive.bytes[entry.storageRange])
        let load: (Int) -> Int64
        switch entry.dtype {
        case .i64?: load = { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
        case .i32?: load = { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .i16?: load = { Int64(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .i8?: load = { Int64(Int8(bitPattern: raw[$0])) }
        case .u8?, .bool?: load = { Int64(raw[$0]) }
        default:
            throw TorchCheckpointError.badContents(path: path, detail: "tensor '\(name)' is \(entry.dtype?.rawValue ?? "of an unreadable type"), expected an integer type")
        }
        return Self.elementIndices(entry).map(load)
    }
}
