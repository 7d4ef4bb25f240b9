// Errors reading or writing safetensors files, each one sentence naming the file and the tensor.

public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case truncated(path: String, detail: String)
    case badHeader(path: String, detail: String)
    /// One tensor's entry in the header is malformed or impossible (sizes, offsets, dtype field).
    case badTensor(path: String, tensor: String, detail: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case missingTensor(path: String, tensor: String)
    case wrongDType(path: String, tensor: String, dtype: String, expected: String)

    public var description: String {
        switch self {
        case .truncated(let path, let detail):
            return "\(path): file is truncated (\(detail)); the download or copy is incomplete, fetch it again"
        case .badHeader(let path, let detail):
            return "\(path): not a valid safetensors file: \(detail); the file is damaged or not safetensors, re-export or re-download it"
        case .badTensor(let path, let tensor, let detail):
            return "\(path): tensor '\(tensor)' \(detail); the file is damaged or not safetensors, re-export or re-download it"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); supported are F32, F16, BF16 (and integer buffers)"
        case .missingTensor(let path, let tensor):
            return "\(path): no tensor named '\(tensor)'"
        case .wrongDType(let path, let tensor, let dtype, let expected):
            return "\(path): tensor '\(tensor)' is \(dtype), expected \(expected)"
        }
    }
}
