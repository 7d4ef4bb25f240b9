// What a restricted unpickle produces: plain data, with containers held in an arena by index so that
// hostile nesting or cycles can neither recurse on release nor loop a walk.

import Safetensors

public enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// Bytes as a range of the pickle stream (no copy) …
    case bytes(Range<Int>)
    /// … or made while unpickling (`_codecs.encode`), by index into `PickleArena.ownedBytes`.
    case ownedBytes(Int)
    case tuple(Int)
    case list(Int)
    case dict(Int)
    /// One of the allowed callables, not yet called.
    case global(AllowedGlobal)
    /// A storage named by a persistent id, by index into `PickleArena.storages`.
    case storage(Int)
    /// A tensor view of a storage, by index into `PickleArena.tensors`.
    case tensor(Int)
    /// A numpy dtype (detectron2 pickles): element type and byte order.
    case numpyDType(NumpyDType)
    /// A numpy array under construction or built, by index into `PickleArena.arrays`.
    case numpyArray(Int)
}

/// A torch storage: its element type and the key of the archive member holding its bytes.
public struct StorageReference: Sendable, Equatable {
    /// nil for element types maskscope cannot read (complex, quantised).
    public var dtype: DType?
    public var key: String
    public var elementCount: Int
}

/// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)`: a strided view of a storage.
public struct TensorView: Sendable, Equatable {
    public var storage: Int
    public var storageOffset: Int
    public var shape: [Int]
    public var strides: [Int]
}

public struct NumpyDType: Sendable, Equatable {
    public var dtype: DType?
    /// "f8", "i8", "O"… as pickled; `dtype` is nil for kinds maskscope does not read.
    public var code: String
    public var bigEndian = false
}

/// A numpy array: its dtype, shape and the pickle bytes holding its data (C order).
public struct NumpyArray: Sendable, Equatable {
    public var dtype: NumpyDType?
    public var shape: [Int] = []
    public var fortranOrder = false
    public var data: PickleValue = .none
}

/// The containers and objects an unpickle made; `PickleValue`s point into it.
public struct PickleArena: Sendable {
    public var tuples: [[PickleValue]] = []
    public var lists: [[PickleValue]] = []
    /// Key/value pairs in insertion order (dict and OrderedDict alike).
    public var dicts: [[(PickleValue, PickleValue)]] = []
    public var ownedBytes: [[UInt8]] = []
    public var storages: [StorageReference] = []
    public var tensors: [TensorView] = []
    public var arrays: [NumpyArray] = []

    mutating func add(tuple items: [PickleValue]) -> PickleValue {
        tuples.append(items)
        return .tuple(tuples.count - 1)
    }

    /// A dict's string-keyed entries (others skipped), in order.
    public func stringKeyed(_ value: PickleValue) -> [(String, PickleValue)]? {
        guard case .dict(let index) = value else { return nil }
        return dicts[index].compactMap { key, value in
            if case .string(let name) = key { return (name, value) }
            return nil
        }
    }
}
