// A restricted unpickler for checkpoint pickles (protocols 2–5 as torch.save and pickle.dump write
// them; https://github.com/python/cpython/blob/main/Lib/pickletools.py documents each opcode).
// It builds plain data: the only callables are those of `AllowedGlobal`, interpreted here, and any
// other global is refused when it is named. Nothing from the file is ever executed.

import Safetensors

public struct Unpickler {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// Python 2 `str` is decoded as Latin-1 (detectron2 pickles); only that encoding is supported.
    public var arena = PickleArena()
    /// Resolves a persistent id (torch's storage tuples); nil means persistent ids are not allowed.
    let persistentLoad: ((PickleValue, inout PickleArena) throws -> PickleValue)?

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var position = 0
    private var opcodeStart = 0

    /// Memo entries beyond this are refused: real checkpoints use a few per tensor.
    static let memoLimit = 10_000_000

    public init(bytes: UnsafeRawBufferPointer, path: String,
                persistentLoad: ((PickleValue, inout PickleArena) throws -> PickleValue)? = nil) {
        self.bytes = bytes
        self.path = path
        self.persistentLoad = persistentLoad
    }

    func bad(_ detail: String) -> TorchCheckpointError { .badPickle(path: path, offset: opcodeStart, detail: detail) }

    // MARK: Reading the stream

    mutating func take(_ count: Int) throws -> Range<Int> {
        let (end, overflow) = position.addingReportingOverflow(count)
        guard count >= 0, !overflow, end <= bytes.count else {
            throw bad("the stream ends inside an argument (\(count) bytes wanted, \(bytes.count - position) left)")
        }
        defer { position = end }
        return position..<end
    }

    mutating func byte() throws -> UInt8 { bytes[try take(1).lowerBound] }

    mutating func littleEndian<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let range = try take(MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: range.lowerBound, as: T.self))
    }

    /// A length read from the stream, refused beyond what is left of it.
    mutating func length<T: FixedWidthInteger>(_ type: T.Type) throws -> Int {
        let value = try littleEndian(type)
        guard value >= 0, UInt64(value) <= UInt64(bytes.count - position) else {
            throw bad("a length of \(value) runs past the end of the stream")
        }
        return Int(value)
    }

    mutating func line() throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count else { throw bad("a text argument has no end of line") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return text
    }

    mutating func utf8(_ range: Range<Int>) throws -> String {
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw bad("a string is not valid UTF-8")
        }
        return text
    }

    func latin1(_ range: Range<Int>) -> String {
        String(String.UnicodeScalarView(bytes[range].map { Unicode.Scalar($0) }))
    }

    // MARK: The stack

    mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw bad("the stack is empty") }
        if let mark = marks.last, stack.count < mark { throw bad("an opcode reaches below its MARK") }
        return value
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw bad("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func top() throws -> PickleValue {
        guard let value = stack.last else { throw bad("the stack is empty") }
        return value
    }

    mutating func memoize(_ key: Int) throws {
        guard key >= 0, key < Self.memoLimit else { throw bad("memo key \(key) is out of range") }
        memo[key] = try top()
    }

    mutating func recall(_ key: Int) throws {
        guard let value = memo[key] else { throw bad("memo key \(key) was never stored") }
        stack.append(value)
    }

    // MARK: Running

    /// Runs the stream to STOP and returns the value left on the stack.
    public mutating func load() throws -> PickleValue {
        while true {
            opcodeStart = position
            let opcode = try byte()
            switch opcode {
            case 0x80: // PROTO
                let version = try byte()
                guard version <= 5 else { throw bad("pickle protocol \(version) is newer than 5") }
            case 0x95: _ = try littleEndian(UInt64.self) // FRAME: framing only
            case 0x2E: // STOP
                let result = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw bad("STOP with \(stack.count) values left on the stack") }
                return result
            case 0x28: marks.append(stack.count) // MARK
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x32: stack.append(try top()) // DUP
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int(try littleEndian(Int32.self)))) // BININT
            case 0x4B: stack.append(.int(Int(try byte()))) // BININT1
            case 0x4D: stack.append(.int(Int(try littleEndian(UInt16.self)))) // BININT2
            case 0x8A: stack.append(.int(try longInteger(Int(try byte())))) // LONG1
            case 0x8B: stack.append(.int(try longInteger(try length(Int32.self)))) // LONG4
            case 0x47: // BINFLOAT: big-endian double
                let range = try take(8)
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt64.self)))))
            case 0x58: stack.append(.string(try utf8(try take(try length(UInt32.self))))) // BINUNICODE
            case 0x8C: stack.append(.string(try utf8(try take(Int(try byte()))))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try utf8(try take(try length(UInt64.self))))) // BINUNICODE8
            case 0x54: stack.append(.string(latin1(try take(try length(Int32.self))))) // BINSTRING (Python 2 str)
            case 0x55: stack.append(.string(latin1(try take(Int(try byte()))))) // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(try take(try length(UInt32.self)))) // BINBYTES
            case 0x43: stack.append(.bytes(try take(Int(try byte())))) // SHORT_BINBYTES
            case 0x8E, 0x96: stack.append(.bytes(try take(try length(UInt64.self)))) // BINBYTES8, BYTEARRAY8
            case 0x29: stack.append(arena.add(tuple: [])) // EMPTY_TUPLE
            case 0x74: let items = try popMark(); stack.append(arena.add(tuple: items)) // TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1..3
                var items: [PickleValue] = []
                for _ in 0..<Int(opcode - 0x84) { items.insert(try pop(), at: 0) }
                stack.append(arena.add(tuple: items))
            case 0x5D: arena.lists.append([]); stack.append(.list(arena.lists.count - 1)) // EMPTY_LIST
            case 0x6C: let items = try popMark(); arena.lists.append(items); stack.append(.list(arena.lists.count - 1)) // LIST
            case 0x61: let item = try pop(); try append([item]) // APPEND
            case 0x65: let items = try popMark(); try append(items) // APPENDS
            case 0x8F: arena.lists.append([]); stack.append(.list(arena.lists.count - 1)) // EMPTY_SET, kept as a list
            case 0x90: let items = try popMark(); try append(items) // ADDITEMS
            case 0x91: let items = try popMark(); arena.lists.append(items); stack.append(.list(arena.lists.count - 1)) // FROZENSET
            case 0x7D: arena.dicts.append([]); stack.append(.dict(arena.dicts.count - 1)) // EMPTY_DICT
            case 0x64: // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw bad("DICT with an odd number of items") }
                arena.dicts.append(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
                stack.append(.dict(arena.dicts.count - 1))
            case 0x73: let value = try pop(), key = try pop(); try setItems([key, value]) // SETITEM
            case 0x75: let items = try popMark(); try setItems(items) // SETITEMS
            case 0x63: // GLOBAL: "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(try allowed(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                    throw bad("STACK_GLOBAL needs two strings")
                }
                stack.append(.global(try allowed(module: moduleName, name: globalName)))
            case 0x52: // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try call(callable, arguments))
            case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                let arguments = try pop(), type = try pop()
                stack.append(try call(type, arguments))
            case 0x92: // NEWOBJ_EX
                _ = try pop()
                let arguments = try pop(), type = try pop()
                stack.append(try call(type, arguments))
            case 0x62: let state = try pop(); try build(state) // BUILD
            case 0x71: try memoize(Int(try byte())) // BINPUT
            case 0x72: try memoize(Int(try littleEndian(UInt32.self))) // LONG_BINPUT
            case 0x94: try memoize(memo.count) // MEMOIZE
            case 0x68: try recall(Int(try byte())) // BINGET
            case 0x6A: try recall(Int(try littleEndian(UInt32.self))) // LONG_BINGET
            case 0x70: // PUT (text)
                guard let key = Int(try line()) else { throw bad("PUT with a key that is not a number") }
                try memoize(key)
            case 0x67: // GET (text)
                guard let key = Int(try line()) else { throw bad("GET with a key that is not a number") }
                try recall(key)
            case 0x51: // BINPERSID
                let id = try pop()
                guard let persistentLoad else { throw bad("a persistent id where none is allowed") }
                stack.append(try persistentLoad(id, &arena))
            case 0x98: break // READONLY_BUFFER: no-op on our values
            default:
                throw bad("opcode 0x\(String(opcode, radix: 16)) is not one a checkpoint pickle uses")
            }
        }
    }

    /// A little-endian two's-complement integer of `count` bytes (LONG1/LONG4), up to 64 bits.
    mutating func longInteger(_ count: Int) throws -> Int {
        let range = try take(count)
        guard count <= 8 else { throw bad("an integer of \(count) bytes is beyond 64 bits") }
        guard count > 0 else { return 0 }
        var value: UInt64 = 0
        for (i, index) in range.enumerated() { value |= UInt64(bytes[index]) << (8 * UInt64(i)) }
        if count < 8, bytes[range.upperBound - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
        return Int(Int64(bitPattern: value))
    }

    func allowed(module: String, name: String) throws -> AllowedGlobal {
        guard let global = AllowedGlobal.named(module: module, name: name) else {
            throw TorchCheckpointError.refusedGlobal(path: path, name: module + "." + name)
        }
        return global
    }

    mutating func append(_ items: [PickleValue]) throws {
        guard case .list(let index) = try top() else { throw bad("APPEND to something that is not a list") }
        arena.lists[index].append(contentsOf: items)
    }

    mutating func setItems(_ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw bad("SETITEMS with an odd number of items") }
        guard case .dict(let index) = try top() else { throw bad("SETITEM on something that is not a dict") }
        for i in stride(from: 0, to: items.count, by: 2) { arena.dicts[index].append((items[i], items[i + 1])) }
    }

    func tuple(_ value: PickleValue, _ what: String) throws -> [PickleValue] {
        guard case .tuple(let index) = value else { throw bad("\(what) needs a tuple of arguments") }
        return arena.tuples[index]
    }

    func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        let items: [PickleValue]
        switch value {
        case .tuple(let index): items = arena.tuples[index]
        case .list(let index): items = arena.lists[index]
        default: throw bad("\(what) is not a tuple of integers")
        }
        return try items.map {
            guard case .int(let value) = $0 else { throw bad("\(what) holds something other than integers") }
            return value
        }
    }

    /// Interprets a call to an allowed global on data; nothing else can be called.
    mutating func call(_ callable: PickleValue, _ argumentValue: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else { throw bad("a call to something that is not an allowed global") }
        let arguments = try tuple(argumentValue, "a call")
        switch global {
        case .orderedDict:
            arena.dicts.append([])
            return .dict(arena.dicts.count - 1)
        case .rebuildTensor:
            guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1] else {
                throw bad("_rebuild_tensor needs (storage, offset, size, stride, …)")
            }
            let shape = try integers(arguments[2], "a tensor size"), strides = try integers(arguments[3], "a tensor stride")
            guard shape.count == strides.count else { throw bad("a tensor has \(shape.count) sizes but \(strides.count) strides") }
            arena.tensors.append(TensorView(storage: storage, storageOffset: offset, shape: shape, strides: strides))
            return .tensor(arena.tensors.count - 1)
        case .rebuildParameter:
            guard let data = arguments.first, case .tensor = data else { throw bad("_rebuild_parameter needs a tensor") }
            return data
        case .rebuildFromType:
            guard arguments.count >= 3 else { throw bad("_rebuild_from_type_v2 needs (func, type, args, state)") }
            return try call(arguments[0], arguments[2])
        case .torchSize, .set, .bytearray:
            return arguments.first ?? arena.add(tuple: [])
        case .codecsEncode:
            guard case .string(let text) = arguments.first else { throw bad("_codecs.encode needs a string") }
            // Protocol 2 writes bytes as encode(bytes.decode("latin1"), "latin1"): scalars are the bytes.
            var owned: [UInt8] = []
            owned.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw bad("_codecs.encode of text that is not Latin-1") }
                owned.append(UInt8(scalar.value))
            }
            arena.ownedBytes.append(owned)
            return .ownedBytes(arena.ownedBytes.count - 1)
        case .numpyReconstruct:
            arena.arrays.append(NumpyArray())
            return .numpyArray(arena.arrays.count - 1)
        case .numpyDType:
            guard case .string(let code) = arguments.first else { throw bad("numpy.dtype needs a type code") }
            return .numpyDType(NumpyDType.parse(code))
        case .numpyScalar:
            guard arguments.count == 2, case .numpyDType(let dtype) = arguments[0] else { throw bad("numpy scalar needs (dtype, bytes)") }
            arena.arrays.append(NumpyArray(dtype: dtype, shape: [], data: arguments[1]))
            return .numpyArray(arena.arrays.count - 1)
        case .tensorType, .storageType, .torchDevice, .torchDType, .numpyArrayType:
            throw bad("a call to a type that checkpoints only name")
        }
    }

    /// BUILD: sets an object's state. Only dicts (attributes such as `_metadata`, ignored), tensors
    /// (torch's `_rebuild_parameter_with_state` state, ignored), numpy dtypes and arrays take one.
    mutating func build(_ state: PickleValue) throws {
        switch try top() {
        case .dict, .tensor: return
        case .numpyDType(let dtype):
            // (version, byteorder, …): '>' is big-endian.
            if case .tuple(let index) = state, arena.tuples[index].count > 1, case .string(let order) = arena.tuples[index][1] {
                var changed = dtype
                changed.bigEndian = order == ">"
                stack[stack.count - 1] = .numpyDType(changed)
            }
        case .numpyArray(let index):
            // ndarray.__setstate__((version, shape, dtype, is_fortran, data)).
            let fields = try tuple(state, "an array's state")
            guard fields.count == 5, case .numpyDType(let dtype) = fields[2], case .bool(let fortran) = fields[3] else {
                throw bad("an array's state is not (version, shape, dtype, fortran, data)")
            }
            arena.arrays[index].shape = try integers(fields[1], "an array shape")
            arena.arrays[index].dtype = dtype
            arena.arrays[index].fortranOrder = fortran
            arena.arrays[index].data = fields[4]
        default:
            throw bad("BUILD on a value that takes no state")
        }
    }
}

extension NumpyDType {
    /// numpy's dtype codes as pickled ("f4", "<f8", "i8", "u1", "b1", …).
    static func parse(_ code: String) -> NumpyDType {
        var text = Substring(code)
        var bigEndian = false
        if let first = text.first, "<>=|".contains(first) { bigEndian = first == ">"; text = text.dropFirst() }
        let types: [String: DType] = ["f4": .f32, "f8": .f64, "f2": .f16, "i8": .i64, "i4": .i32, "i2": .i16, "i1": .i8,
                                      "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool]
        return NumpyDType(dtype: types[String(text)], code: code, bigEndian: bigEndian)
    }
}
