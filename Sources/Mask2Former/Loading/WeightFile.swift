// The weights of a checkpoint, whatever file format holds them: a name → (dtype, shape) table
// checked when the file is opened, and tensors read by name. The format is told by the file's
// first bytes, not its name.

import FileIO
import Safetensors
import TensorCore
import TorchCheckpoint

public struct WeightInfo: Sendable, Equatable {
    /// nil for element types maskscope cannot read (refused if a weight has one).
    public var dtype: DType?
    public var shape: [Int]
    public init(dtype: DType?, shape: [Int]) { self.dtype = dtype; self.shape = shape }
}

public protocol WeightFile: AnyObject {
    var path: String { get }
    /// What `maskscope inspect` calls the format.
    var formatName: String { get }
    var tensors: [String: WeightInfo] { get }
    func floatTensor(_ name: String) throws -> Tensor
    func integerValues(_ name: String) throws -> [Int64]
    /// How the file itself spells a tensor (differs where names are mapped, as for detectron2).
    func sourceName(_ name: String) -> String
    /// Drops the resident pages of a tensor the model copied into another form (a fused layer), where
    /// the file's weights are mapped rather than copied.
    func releasePages(_ name: String)
}

extension WeightFile {
    public func sourceName(_ name: String) -> String { name }
    public func releasePages(_ name: String) {}
}

extension SafetensorsFile: WeightFile {
    public var formatName: String { "safetensors" }
    public var tensors: [String: WeightInfo] { entries.mapValues { WeightInfo(dtype: $0.dtype, shape: $0.shape) } }
    public func releasePages(_ name: String) {
        if let entry = entries[name] { releasePages(of: entry) }
    }
}

extension TorchCheckpointFile: WeightFile {
    public var formatName: String { "PyTorch zip (torch.save)" }
    public var tensors: [String: WeightInfo] { entries.mapValues { WeightInfo(dtype: $0.dtype, shape: $0.shape) } }
}

extension DetectronCheckpointFile: WeightFile {
    public var formatName: String { "detectron2 pickle" }
    public var tensors: [String: WeightInfo] { entries.mapValues { WeightInfo(dtype: $0.dtype, shape: $0.shape) } }
}

/// Opens a weights file by its content: a zip is torch.save's format, a bare pickle is refused with
/// what to do, a pickle is read as a detectron2 checkpoint, anything else is read as safetensors (whose reader names what is wrong).
public func openWeightFile(path: String) throws -> any WeightFile {
    let head = try MappedFile(path: path)
    let prefix = Array(head.bytes.prefix(4))
    if prefix == [0x50, 0x4B, 0x03, 0x04] { return try TorchCheckpointFile(path: path) }
    // torch.save before PyTorch 1.6 starts with its magic number as a LONG1 of 10 bytes.
    if prefix == [0x80, 0x02, 0x8A, 0x0A] {
        throw ModelError.unsupported(
            file: path, detail: "torch.save's legacy format (PyTorch before 1.6), which maskscope does not read; re-save it with a current torch.save or as safetensors")
    }
    if prefix.first == 0x80 { return try DetectronCheckpointFile(path: path) }
    return try SafetensorsFile(path: path)
}
