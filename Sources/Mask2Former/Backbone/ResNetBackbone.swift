// Port of transformers ResNetBackbone as Mask2Former uses it: stem (7×7 stride-2 conv, BN, ReLU,
// 3×3 stride-2 max pool), then four stages whose outputs are the feature maps at strides 4, 8, 16, 32.
// Unlike Swin there is no norm on the outputs.

import TensorCore

struct ResNetBackbone: FeatureBackbone {
    var stem: Conv2d
    var stages: [[ResNetLayer]]

    init(config: ResNetConfig, weights: WeightLoader, prefix: String) throws {
        stem = try weights.convBatchNorm(prefix + "embedder.embedder", input: config.numChannels,
                                         output: config.embeddingSize, kernel: 7, stride: 2)
        var input = config.embeddingSize
        stages = try (0..<config.stageCount).map { s in
            let output = config.channels(stage: s)
            let stride = s == 0 && !config.downsampleInFirstStage ? 1 : 2
            let layers = try (0..<config.depths[s]).map { l in
                try ResNetLayer(config: config, input: l == 0 ? input : output, output: output, stride: l == 0 ? stride : 1,
                                weights: weights, prefix: prefix + "encoder.stages.\(s).layers.\(l).")
            }
            input = output
            return layers
        }
    }

    /// `pixels [3, H, W]` → feature maps `[C_s, H_s, W_s]` for s = 1…4 (strides 4, 8, 16, 32).
    func callAsFunction(_ pixels: Tensor) -> [Tensor] {
        var x = stem(pixels)
        x.applyReLU()
        x = maxPool2d(x, kernel: 3, stride: 2, padding: 1)
        var features: [Tensor] = []
        for stage in stages {
            for layer in stage { x = layer(x) }
            features.append(x)
        }
        return features
    }
}
