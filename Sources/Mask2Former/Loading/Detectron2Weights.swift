// A detectron2 checkpoint seen under transformers' names, so the model code reads it like any other
// weights file: each tensor renamed by Detectron2NameMap, fused q/k/v projections split into thirds
// when read. Names with no counterpart keep their detectron2 spelling (the loader reports them unused).

import Safetensors
import TensorCore

public final class Detectron2Weights: WeightFile {
    /// The file under detectron2's names: a pickle (.pkl) or torch.save's zip (a training .pth).
    let file: any WeightFile
    /// transformers name → where it comes from.
    public let sources: [String: Detectron2Source]
    public let tensors: [String: WeightInfo]

    public var path: String { file.path }
    public var formatName: String { "\(file.formatName), detectron2 names mapped to transformers'" }

    public init(file: any WeightFile) throws {
        self.file = file
        var sources: [String: Detectron2Source] = [:]
        var tensors: [String: WeightInfo] = [:]
        for (name, entry) in file.tensors {
            // BatchNorm's training counter (zoo files may carry it): eval mode never reads it.
            if name.hasSuffix(".num_batches_tracked") { continue }
            let targets = Detectron2NameMap.targets(of: name)
            let info = entry
            if targets.isEmpty {
                sources[name] = Detectron2Source(name: name, third: nil)
                tensors[name] = info
                continue
            }
            for (target, third) in targets {
                var shape = entry.shape
                if third != nil {
                    guard let rows = shape.first, rows > 0, rows % 3 == 0 else {
                        throw ModelError.unsupported(
                            file: file.path, detail: "tensor '\(name)' has shape \(entry.shape); a fused query/key/value projection needs a first dimension divisible by 3")
                    }
                    shape[0] = rows / 3
                }
                // Two detectron2 names for one transformers name would make the model read only one of them.
                if let other = sources[target] {
                    throw ModelError.unsupported(file: file.path, detail: "tensors '\(other.name)' and '\(name)' both map to '\(target)'; the checkpoint is not a Mask2Former one")
                }
                sources[target] = Detectron2Source(name: name, third: third)
                tensors[target] = WeightInfo(dtype: entry.dtype, shape: shape)
            }
        }
        self.sources = sources
        self.tensors = tensors
    }

    public func sourceName(_ name: String) -> String {
        guard let source = sources[name] else { return name }
        return source.describe(rows: tensors[name]?.shape.first)
    }

    public func floatTensor(_ name: String) throws -> Tensor {
        guard let source = sources[name], let info = tensors[name] else { return try file.floatTensor(name) }
        let whole = try file.floatTensor(source.name)
        guard let third = source.third else { return whole }
        // Rows are contiguous in a row-major tensor: the third is one block of the storage.
        let count = info.shape.reduce(1, *)
        let start = third * count
        return Tensor(shape: info.shape, scalars: whole.withUnsafeBufferPointer { Array($0[start..<(start + count)]) })
    }

    public func integerValues(_ name: String) throws -> [Int64] {
        try file.integerValues(sources[name]?.name ?? name)
    }
}
