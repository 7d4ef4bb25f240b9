// A convolution followed by BatchNorm in eval mode, folded into one convolution at load time:
// BN(conv(x)) = conv(x)·α + β with α = γ/√(var + eps), β = bias − mean·α (PyTorch's CPU kernel
// computes the same α and β, so folding changes only the rounding, ~1e-7 relative).

import Foundation
import TensorCore

extension WeightLoader {
    /// transformers' `ResNetConvLayer` / `ResNetShortCut` without the activation: `prefix.convolution`
    /// (no bias, padding kernel/2) and `prefix.normalization` (BatchNorm2d, eps 1e-5, running statistics).
    func convBatchNorm(_ prefix: String, input: Int, output: Int, kernel: Int, stride: Int) throws -> Conv2d {
        let weight = try tensor(prefix + ".convolution.weight", shape: [output, input, kernel, kernel])
        let norm = prefix + ".normalization"
        // As arrays: the tensors may borrow the file's memory, and these loops index them.
        let gamma = try tensor(norm + ".weight", shape: [output]).scalars, beta = try tensor(norm + ".bias", shape: [output]).scalars
        let mean = try tensor(norm + ".running_mean", shape: [output]).scalars
        let variance = try tensor(norm + ".running_var", shape: [output]).scalars
        let eps: Float = 1e-5
        var scale = [Float](repeating: 0, count: output), shift = [Float](repeating: 0, count: output)
        for o in 0..<output {
            guard variance[o] >= 0 else {
                throw ModelError.unsupported(file: path, detail: "tensor '\(norm).running_var' has the negative value \(variance[o]) at index \(o); a variance cannot be negative, the file is damaged")
            }
            scale[o] = gamma[o] / (variance[o] + eps).squareRoot()
            shift[o] = beta[o] - mean[o] * scale[o]
        }
        let perOutput = input * kernel * kernel
        var folded = weight.scalars
        for o in 0..<output {
            for i in 0..<perOutput { folded[o * perOutput + i] *= scale[o] }
        }
        return Conv2d(weight: Tensor(shape: weight.shape, scalars: folded), bias: Tensor(shape: [output], scalars: shift),
                      stride: stride, padding: kernel / 2)
    }
}
