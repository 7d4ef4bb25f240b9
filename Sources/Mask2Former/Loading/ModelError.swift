// Errors of locating, configuring and loading a Mask2Former checkpoint, written for the user.

public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A folder or hub id that does not resolve to a checkpoint; `detail` says where we looked.
    case checkpointNotFound(String, detail: String)
    case missingFile(folder: String, file: String)
    case badConfig(file: String, detail: String)
    case unsupported(file: String, detail: String)
    case missingTensor(file: String, tensor: String, expectedShape: [Int])
    case wrongShape(file: String, tensor: String, shape: [Int], expectedShape: [Int])
    case unexpectedTensors(file: String, names: [String])
    case badIndexBuffer(file: String, tensor: String)
    /// A weight that is NaN or infinite: the forward pass would print `-nan` scores.
    case nonFiniteWeight(file: String, tensor: String, index: Int, count: Int, value: Float)
    /// A setting outside the files (an environment variable) that cannot be read.
    case badSetting(name: String, value: String, allowed: String)
    /// The forward pass `subject` asks for would need more memory than the limit allows.
    case tooMuchMemory(subject: String, estimate: MemoryEstimate, limit: MemoryLimit, remedy: String)

    public var description: String {
        switch self {
        case .checkpointNotFound(let model, let detail):
            return "model '\(model)' not found: \(detail)"
        case .missingFile(let folder, let file):
            return "\(folder): missing \(file); a model folder needs config.json, preprocessor_config.json and model.safetensors (or pytorch_model.bin)"
        case .badConfig(let file, let detail):
            return "\(file): \(detail)"
        case .unsupported(let file, let detail):
            return "\(file): \(detail)"
        case .missingTensor(let file, let tensor, let shape):
            return "\(file): tensor '\(tensor)' \(shape) is missing; the checkpoint does not match its config.json"
        case .wrongShape(let file, let tensor, let shape, let expected):
            return "\(file): tensor '\(tensor)' has shape \(shape), config expects \(expected)"
        case .unexpectedTensors(let file, let names):
            let shown = names.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
            return "\(file): \(names.count) tensor(s) the config does not use (\(shown)\(names.count > 3 ? ", …" : "")); config.json and the weights disagree"
        case .badIndexBuffer(let file, let tensor):
            return "\(file): buffer '\(tensor)' does not hold the indices Swin computes; the checkpoint is corrupt or from another window size"
        case .nonFiniteWeight(let file, let tensor, let index, let count, let value):
            return "\(file): tensor '\(tensor)' holds \(value) at element \(index) of \(count); the weights are corrupt (or overflowed when saved in a narrower dtype): re-export or re-download the checkpoint"
        case .badSetting(let name, let value, let allowed):
            return "\(name) is '\(value)'; must be \(allowed)"
        case .tooMuchMemory(let subject, let estimate, let limit, let remedy):
            return "\(subject): a forward pass at \(estimate.inputWidth)×\(estimate.inputHeight) (w×h) needs about \(formatBytes(estimate.totalBytes)) "
                + "(weights \(formatBytes(estimate.weightBytes)), activations \(formatBytes(estimate.activationBytes)) at their peak in \(estimate.peakStage)), "
                + "more than the memory limit of \(formatBytes(limit.bytes)) (\(limit.source)); \(remedy), or \(MemoryLimit.howToRaise)"
        }
    }
}
