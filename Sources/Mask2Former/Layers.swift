// The small layers every block is made of: PyTorch's nn.Linear, nn.LayerNorm, nn.GroupNorm, nn.Conv2d,
// each a struct of weights with one callAsFunction.

import TensorCore

/// `nn.Linear`: `weight [out, in]`, optional `bias [out]`.
public struct Linear: Sendable {
    public var weight: Tensor
    public var bias: Tensor?
    public var inputWidth: Int { weight.shape[1] }
    public var outputWidth: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias)
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
    public var weight: Tensor
    public var bias: Tensor?
    public var stride: Int
    public var padding: Int

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
