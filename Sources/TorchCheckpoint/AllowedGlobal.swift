// The only globals a checkpoint pickle may name: what torch.load(weights_only=True) accepts for a
// state dict (torch/_weights_only_unpickler.py, _get_allowed_globals), plus numpy's array
// reconstruction for detectron2 pickles, taken as data. Any other name is refused at the GLOBAL
// opcode, before anything could be called.

import Safetensors

public enum AllowedGlobal: Sendable, Equatable {
    case orderedDict
    /// `torch._utils._rebuild_tensor` / `_rebuild_tensor_v2`.
    case rebuildTensor
    /// `torch._utils._rebuild_parameter` / `_rebuild_parameter_with_state`: the tensor inside.
    case rebuildParameter
    /// `torch._tensor._rebuild_from_type_v2(func, type, args, state)`: calls `func(*args)`.
    case rebuildFromType
    /// `torch.Tensor`, `torch.nn.parameter.Parameter`: named as a type by `_rebuild_from_type_v2`.
    case tensorType
    /// `torch.FloatStorage` and friends, the element type of a storage.
    case storageType(DType?)
    case torchSize
    case torchDevice
    case torchDType
    /// `_codecs.encode(text, "latin1")`: how protocol 2 spells bytes.
    case codecsEncode
    case set
    case bytearray
    /// `numpy.core.multiarray._reconstruct` (and numpy 2's `numpy._core`).
    case numpyReconstruct
    case numpyArrayType
    case numpyDType
    /// `numpy.core.multiarray.scalar(dtype, bytes)`: a numpy scalar (detectron2's iteration count).
    case numpyScalar

    /// The allowed global for `module.name`, or nil.
    public static func named(module: String, name: String) -> AllowedGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameter
        case ("torch._tensor", "_rebuild_from_type_v2"): return .rebuildFromType
        case ("torch", "Tensor"), ("torch.nn.parameter", "Parameter"): return .tensorType
        case ("torch", "Size"): return .torchSize
        case ("torch", "device"): return .torchDevice
        case ("_codecs", "encode"): return .codecsEncode
        case ("builtins", "set"), ("__builtin__", "set"): return .set
        case ("builtins", "bytearray"), ("__builtin__", "bytearray"): return .bytearray
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): return .numpyReconstruct
        case ("numpy", "ndarray"): return .numpyArrayType
        case ("numpy", "dtype"): return .numpyDType
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"): return .numpyScalar
        case ("torch", _):
            if let dtype = storageTypes[name] { return .storageType(dtype) }
            if torchDTypes.contains(name) { return .torchDType }
            return nil
        default: return nil
        }
    }

    /// Typed storage classes; the ones maskscope cannot read as weights still parse (nil).
    static let storageTypes: [String: DType?] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool, "ComplexFloatStorage": nil, "ComplexDoubleStorage": nil,
        "QInt8Storage": nil, "QUInt8Storage": nil, "QInt32Storage": nil, "UntypedStorage": .u8,
    ]

    static let torchDTypes: Set<String> = [
        "float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool",
        "float", "half", "double", "long", "int", "short",
    ]
}
