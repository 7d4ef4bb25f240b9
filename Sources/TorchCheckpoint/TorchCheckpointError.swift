// Errors reading PyTorch checkpoints (zip archives and pickles), each one sentence naming the file.

public enum TorchCheckpointError: Error, CustomStringConvertible, Equatable {
    /// The zip container is damaged or uses a feature torch never writes.
    case badArchive(path: String, detail: String)
    /// The pickle stream is malformed (truncated, bad opcode, wrong stack contents).
    case badPickle(path: String, offset: Int, detail: String)
    /// The pickle names a callable outside the allowlist: refused before anything runs.
    case refusedGlobal(path: String, name: String)
    /// The pickle is well formed but does not hold what a checkpoint holds.
    case badContents(path: String, detail: String)

    public var description: String {
        switch self {
        case .badArchive(let path, let detail):
            return "\(path): not a readable PyTorch zip checkpoint: \(detail); the file is damaged or truncated, re-download it"
        case .badPickle(let path, let offset, let detail):
            return "\(path): malformed pickle at byte \(offset): \(detail); the file is damaged or not a checkpoint"
        case .refusedGlobal(let path, let name):
            return "\(path): the pickle asks for '\(name)', which is not a tensor, storage or container type; refused without running anything (only what torch.load(weights_only=True) accepts is read)"
        case .badContents(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}
