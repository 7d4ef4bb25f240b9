// Port of transformers SwinBackbone as Mask2Former uses it (always_partition = True,
// hidden states before downsampling): four feature maps at strides 4, 8, 16, 32, each normed.

import TensorCore

public struct SwinBackbone: FeatureBackbone {
    struct Stage: Sendable {
        var blocks: [SwinBlock]
        var downsample: PatchMerging?
        var outputNorm: LayerNorm
    }

    let config: SwinConfig
    var embedding: PatchEmbedding
    var stages: [Stage]

    init(config: SwinConfig, weights: WeightLoader, prefix: String) throws {
        self.config = config
        embedding = try PatchEmbedding(config: config, weights: weights, prefix: prefix + "embeddings.")
        stages = try (0..<config.stageCount).map { s in
            let stagePrefix = prefix + "encoder.layers.\(s)."
            let blocks = try (0..<config.depths[s]).map { b in
                try SwinBlock(config: config, stage: s, index: b, weights: weights, prefix: stagePrefix + "blocks.\(b).")
            }
            let downsample = s < config.stageCount - 1
                ? try PatchMerging(config: config, stage: s, weights: weights, prefix: stagePrefix + "downsample.") : nil
            let norm = try weights.layerNorm(prefix + "hidden_states_norms.stage\(s + 1)", width: config.channels(stage: s))
            return Stage(blocks: blocks, downsample: downsample, outputNorm: norm)
        }
    }

    /// `pixels [3, H, W]` → feature maps `[C_s, H_s, W_s]` for s = 1…4 (strides 4, 8, 16, 32).
    public func callAsFunction(_ pixels: Tensor) -> [Tensor] {
        var (x, height, width) = embedding(pixels)
        var features: [Tensor] = []
        for stage in stages {
            // The window layout depends only on the stage size and the shift: prepare both once.
            let plain = PreparedGrid(WindowGrid(height: height, width: width, windowSize: config.windowSize, shift: 0))
            let shifted = PreparedGrid(WindowGrid(height: height, width: width, windowSize: config.windowSize,
                                                  shift: config.windowSize / 2))
            // Each block hands the next its normed input (the last, the stage's output norm).
            var normed = stage.blocks.first.map { $0.layerNormBefore(x) } ?? stage.outputNorm(x)
            for (index, block) in stage.blocks.enumerated() {
                let nextNorm = index + 1 < stage.blocks.count ? stage.blocks[index + 1].layerNormBefore : stage.outputNorm
                normed = block.update(&x, normed: normed, grid: block.shift == 0 ? plain : shifted, nextNorm: nextNorm)
            }
            features.append(map(fromTokens: normed, height: height, width: width))
            if let downsample = stage.downsample {
                (x, height, width) = downsample(x, height: height, width: width)
            }
        }
        return features
    }
}
