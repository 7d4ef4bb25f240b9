// Activation functions, in place: exact-erf GELU (Swin MLP) and ReLU (everything else).

#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// GELU with the exact erf form `0.5·x·(1 + erf(x/√2))`, as `nn.GELU()` (not the tanh approximation).
    public mutating func applyGELU() {
        let count = self.count
        withUnsafeMutableBufferPointer { xp in
            let p = SendablePointer(xp.baseAddress!)
            parallelFor(count, minimumChunk: 1 << 14) { range in
                let values = p.pointer
                for i in range {
                    let x = values[i]
                    values[i] = 0.5 * x * (1 + fastErf(x * 0.70710678118654752440))
                }
            }
        }
    }

    public mutating func applyReLU() {
        let count = self.count
        withUnsafeMutableBufferPointer { xp in
            let p = SendablePointer(xp.baseAddress!)
            parallelFor(count, minimumChunk: 1 << 16) { range in
                for i in range { p.pointer[i] = Swift.max(p.pointer[i], 0) }
            }
        }
    }
}

extension Tensor {
    /// The logistic function in place, as torch computes it in f32.
    public mutating func applySigmoid() {
        let count = self.count
        withUnsafeMutableBufferPointer { xp in
            let p = SendablePointer(xp.baseAddress!)
            parallelFor(count, minimumChunk: 1 << 15) { range in
                for i in range { p.pointer[i] = sigmoid(p.pointer[i]) }
            }
        }
    }
}

/// The logistic function as PyTorch computes it in f32: `1 / (1 + exp(−x))`.
@inline(__always)
public func sigmoid(_ x: Float) -> Float {
    1 / (1 + expf(-x))
}
