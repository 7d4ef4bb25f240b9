// Port of transformers ResNetBottleNeckLayer and ResNetBasicLayer (modeling_resnet.py), BatchNorm folded.

import TensorCore

struct ResNetLayer: Sendable {
    /// The residual branch: each conv (BN folded) is followed by ReLU except the last.
    var convolutions: [Conv2d]
    /// 1×1 conv + BN when the width or the stride changes, else the identity.
    var shortcut: Conv2d?

    init(config: ResNetConfig, input: Int, output: Int, stride: Int, weights: WeightLoader, prefix: String) throws {
        shortcut = input != output || stride != 1
            ? try weights.convBatchNorm(prefix + "shortcut", input: input, output: output, kernel: 1, stride: stride) : nil
        if config.layerType == "bottleneck" {
            let narrow = output / 4
            // downsample_in_bottleneck puts the stride in the first 1×1 conv, else in the 3×3 conv.
            let (first, middle) = config.downsampleInBottleneck ? (stride, 1) : (1, stride)
            convolutions = [
                try weights.convBatchNorm(prefix + "layer.0", input: input, output: narrow, kernel: 1, stride: first),
                try weights.convBatchNorm(prefix + "layer.1", input: narrow, output: narrow, kernel: 3, stride: middle),
                try weights.convBatchNorm(prefix + "layer.2", input: narrow, output: output, kernel: 1, stride: 1),
            ]
        } else {
            convolutions = [
                try weights.convBatchNorm(prefix + "layer.0", input: input, output: output, kernel: 3, stride: stride),
                try weights.convBatchNorm(prefix + "layer.1", input: output, output: output, kernel: 3, stride: 1),
            ]
        }
    }

    /// `x [C_in, H, W]` → `[C_out, H/stride, W/stride]`: ReLU(branch(x) + shortcut(x)).
    func callAsFunction(_ x: Tensor) -> Tensor {
        var branch = x
        for (index, convolution) in convolutions.enumerated() {
            branch = convolution(branch)
            if index < convolutions.count - 1 { branch.applyReLU() }
        }
        branch += shortcut.map { $0(x) } ?? x
        branch.applyReLU()
        return branch
    }
}
