// The small layers every block is made of: PyTorch's nn.Linear, nn.LayerNorm, nn.GroupNorm, nn.Conv2d,
// each a struct of weights with one callAsFunction.

import TensorCore

/// `nn.Linear`: `weight [out, in]`, optional `bias [out]`.
public struct Linear: Sendable {
    /// The weight in the form the GEMM reads: packed for this CPU's kernel (TensorCore/PackedGEMM), or
    /// as loaded for OpenBLAS where there is no kernel. Only one is kept: a Swin-L's are 0.8 GB.
    enum Storage: Sendable {
        case packed(PackedWeight)
        case plain(Tensor)
    }
    let storage: Storage
    public let bias: Tensor?

    public var inputWidth: Int {
        switch storage {
        case .packed(let packed): packed.inputs
        case .plain(let weight): weight.shape[1]
        }
    }
    public var outputWidth: Int {
        switch storage {
        case .packed(let packed): packed.outputs
        case .plain(let weight): weight.shape[0]
        }
    }

    /// The weight `[out, in]` (unpacked again when packed: for fusing and tests, not the forward pass).
    public var weight: Tensor {
        switch storage {
        case .packed(let packed): packed.unpacked()
        case .plain(let weight): weight
        }
    }

    var packedWeight: PackedWeight? {
        if case .packed(let packed) = storage { return packed }
        return nil
    }

    public init(weight: Tensor, bias: Tensor?) {
        self.init(weight: weight, bias: bias, packing: true)
    }

    /// `packing: false` for a layer that is only a part on its way into `fused`.
    init(weight: Tensor, bias: Tensor?, packing: Bool) {
        storage = (packing ? PackedWeight(weight) : nil).map { .packed($0) } ?? .plain(weight)
        self.bias = bias
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch storage {
        case .packed(let packed): packedLinear(x, weight: packed, bias: bias)
        case .plain(let weight): linear(x, weight: weight, bias: bias)
        }
    }

    /// Layers that read the same input as one layer whose outputs are theirs side by side: one wide
    /// GEMM instead of several narrow ones (Swin's query/key/value are 96 wide in stage 1).
    public static func fused(_ parts: [Linear]) -> Linear {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.inputWidth == parts[0].inputWidth },
                     "fused: layers must share their input width")
        let outputs = parts.reduce(0) { $0 + $1.outputWidth }
        let weight = Tensor(shape: [outputs, parts[0].inputWidth], scalars: parts.flatMap { $0.weight.scalars })
        let hasBias = parts.contains { $0.bias != nil }
        let bias = hasBias
            ? Tensor(shape: [outputs], scalars: parts.flatMap { $0.bias?.scalars ?? [Float](repeating: 0, count: $0.outputWidth) })
            : nil
        return Linear(weight: weight, bias: bias)
    }
}

/// `nn.LayerNorm` over the last dimension.
public struct LayerNorm: Sendable {
    public var weight: Tensor
    public var bias: Tensor
    public var eps: Float

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, weight: weight, bias: bias, eps: eps)
    }

    /// `x += residual`, returning the norm of the sum (pre-norm: the residual, then the next sublayer's norm).
    public func addingThenNormalizing(_ x: inout Tensor, _ residual: Tensor) -> Tensor {
        addThenLayerNorm(&x, residual, weight: weight, bias: bias, eps: eps)
    }

    /// `x = norm(x + residual)` in place (post-norm).
    public func normalizeSum(_ x: inout Tensor, adding residual: Tensor) {
        layerNormOfSum(&x, adding: residual, weight: weight, bias: bias, eps: eps)
    }
}

/// `nn.GroupNorm` on a `[C, H, W]` map.
public struct GroupNorm: Sendable {
    public var weight: Tensor
    public var bias: Tensor
    public var groups: Int
    public var eps: Float

    public func callAsFunction(_ x: Tensor) -> Tensor {
        groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps)
    }
}

/// `nn.Conv2d` on a `[C, H, W]` map, square kernel, zero padding.
public struct Conv2d: Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int
    /// The weights in the Winograd domain, for 3×3 stride-1 "same" convolutions (the pixel decoder's).
    let winograd: WinogradKernel?

    public init(weight: Tensor, bias: Tensor?, stride: Int, padding: Int) {
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        let sameThreeByThree = weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3 && stride == 1 && padding == 1
        winograd = sameThreeByThree ? WinogradKernel(weight: weight) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let winograd { return conv2d3x3(x, kernel: winograd, bias: bias) }
        return conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
