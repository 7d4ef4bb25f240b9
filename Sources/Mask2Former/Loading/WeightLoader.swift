// Verified loading: every tensor the model asks for is checked for presence, shape and dtype, and
// after the model is built every tensor in the file must have been used (or be known to be inert).

import Safetensors
import TensorCore

/// One parameter the model read: what `maskscope inspect` lists.
public struct ParameterRecord: Sendable, Equatable {
    /// 4.x (canonical) name.
    public var name: String
    /// The name as spelled in the file (differs for 5.x checkpoints).
    public var fileName: String
    public var shape: [Int]
    public var dtype: String
    public var count: Int { shape.reduce(1, *) }
}

public final class WeightLoader {
    let file: any WeightFile
    let tensors: [String: WeightInfo]
    /// Canonical (4.x) name → the name in the file.
    let fileNames: [String: String]
    private var used: Set<String> = []
    public private(set) var records: [ParameterRecord] = []

    /// The f32 bytes of every floating-point tensor in the file: what the loaded weights will occupy.
    public var floatBytes: Int {
        get throws(SizeOverflow) {
            var total = 0
            for entry in tensors.values where entry.dtype?.isFloatingPoint == true {
                var elements = 1
                for size in entry.shape { elements = try checkedProduct(elements, size) }
                total = try checkedSum(total, try checkedProduct(elements, MemoryLayout<Float>.size))
            }
            return total
        }
    }

    public init(file: any WeightFile) {
        self.file = file
        tensors = file.tensors
        var names: [String: String] = [:]
        for name in tensors.keys { names[CheckpointKeyRules.canonicalName(name)] = name }
        fileNames = names
    }

    /// A tensor's name as the user's file spells it (for messages and `inspect`).
    func spelled(_ fileName: String) -> String { file.sourceName(fileName) }

    var path: String { file.path }

    /// A float tensor with exactly `shape`, by its 4.x name.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let fileName = fileNames[name], let entry = tensors[fileName] else {
            throw ModelError.missingTensor(file: path, tensor: name, expectedShape: shape)
        }
        guard entry.shape == shape else {
            throw ModelError.wrongShape(file: path, tensor: spelled(fileName), shape: entry.shape, expectedShape: shape)
        }
        guard let dtype = entry.dtype, dtype.isFloatingPoint else {
            throw ModelError.unsupported(
                file: path, detail: "tensor '\(spelled(fileName))' is \(entry.dtype?.rawValue ?? "of a type maskscope cannot read"); weights must be F32, F16 or BF16")
        }
        used.insert(name)
        records.append(ParameterRecord(name: name, fileName: spelled(fileName), shape: shape, dtype: dtype.rawValue))
        let tensor = try file.floatTensor(fileName)
        if let index = tensor.withUnsafeBufferPointer(firstNonFinite) {
            throw ModelError.nonFiniteWeight(file: path, tensor: spelled(fileName), index: index, count: tensor.count, value: tensor.scalar(at: index))
        }
        return tensor
    }

    public func contains(_ name: String) -> Bool { fileNames[name] != nil }

    /// An integer buffer if the file has it (Swin's `relative_position_index`): checked, never required.
    public func optionalIndexBuffer(_ name: String, expected: [Int64]) throws {
        guard let fileName = fileNames[name] else { return }
        used.insert(name)
        guard let values = try? file.integerValues(fileName), values == expected else {
            throw ModelError.badIndexBuffer(file: path, tensor: spelled(fileName))
        }
    }

    /// Fails if the file holds tensors the model did not read (other than known inert ones).
    public func checkEverythingUsed() throws {
        let unused = fileNames.keys.filter { !used.contains($0) && !CheckpointKeyRules.isIgnorable($0) }.sorted()
        if !unused.isEmpty {
            throw ModelError.unexpectedTensors(file: path, names: unused.map { spelled(fileNames[$0] ?? $0) })
        }
    }

    // MARK: Building blocks

    /// A linear layer. Where its weight is packed for the GEMM kernel, the packed copy is what runs,
    /// so the weight's pages in a mapped file are released rather than kept resident twice.
    public func linear(_ prefix: String, input: Int, output: Int, bias: Bool = true) throws -> Linear {
        let layer = Linear(weight: try tensor(prefix + ".weight", shape: [output, input]),
                           bias: bias ? try tensor(prefix + ".bias", shape: [output]) : nil)
        if layer.packedWeight != nil, let fileName = fileNames[prefix + ".weight"] { file.releasePages(fileName) }
        return layer
    }

    /// Layers that read the same input, loaded and fused into one (`Linear.fused`). The fused copy
    /// replaces the parts, so their pages in a mapped file are released rather than kept resident.
    public func fusedLinear(_ prefixes: [String], input: Int, output: Int, bias: Bool = true) throws -> Linear {
        let parts = try prefixes.map {
            Linear(weight: try tensor($0 + ".weight", shape: [output, input]),
                   bias: bias ? try tensor($0 + ".bias", shape: [output]) : nil, packing: false)
        }
        let fused = Linear.fused(parts)
        for prefix in prefixes {
            for suffix in bias ? [".weight", ".bias"] : [".weight"] {
                if let fileName = fileNames[prefix + suffix] { file.releasePages(fileName) }
            }
        }
        return fused
    }

    public func layerNorm(_ prefix: String, width: Int, eps: Float = 1e-5) throws -> LayerNorm {
        LayerNorm(weight: try tensor(prefix + ".weight", shape: [width]),
                  bias: try tensor(prefix + ".bias", shape: [width]), eps: eps)
    }

    public func groupNorm(_ prefix: String, channels: Int, groups: Int = 32) throws -> GroupNorm {
        GroupNorm(weight: try tensor(prefix + ".weight", shape: [channels]),
                  bias: try tensor(prefix + ".bias", shape: [channels]), groups: groups, eps: 1e-5)
    }

    public func conv2d(_ prefix: String, input: Int, output: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                       bias: Bool = true) throws -> Conv2d {
        Conv2d(weight: try tensor(prefix + ".weight", shape: [output, input, kernel, kernel]),
               bias: bias ? try tensor(prefix + ".bias", shape: [output]) : nil, stride: stride, padding: padding)
    }
}
