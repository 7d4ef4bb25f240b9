// Port of transformers Mask2FormerPixelDecoder: input projections, a deformable-attention encoder
// over the three coarsest levels, one FPN step to stride 4, and the per-pixel mask embeddings.

import TensorCore

public struct PixelDecoderOutput: Sendable {
    /// Encoder outputs coarse → fine (strides 32, 16, 8), each `[d_f, H_l, W_l]`.
    public var multiScaleFeatures: [Tensor]
    /// Per-pixel embeddings `[mask_feature_size, H/4, W/4]`.
    public var maskFeatures: Tensor
}

struct PixelDecoder: Sendable {
    var inputProjections: [(conv: Conv2d, norm: GroupNorm)]   // level 0 = stride 32
    var levelEmbedding: Tensor                                 // [3, d_f], added to positions
    var encoderLayers: [DeformableEncoderLayer]
    var lateralConv: Conv2d, lateralNorm: GroupNorm            // adapter_1
    var outputConv: Conv2d, outputNorm: GroupNorm              // layer_1
    var maskProjection: Conv2d
    let featureSize: Int

    init(config: Mask2FormerConfig, weights: WeightLoader, prefix: String) throws {
        let d = config.featureSize
        featureSize = d
        let backbone = config.backbone
        // Coarse to fine: projection l reads backbone stage 4 − l (channels C4, C3, C2).
        inputProjections = try (0..<3).map { l in
            let channels = backbone.channels(stage: 3 - l)
            return (try weights.conv2d(prefix + "input_projections.\(l).0", input: channels, output: d, kernel: 1),
                    try weights.groupNorm(prefix + "input_projections.\(l).1", channels: d))
        }
        levelEmbedding = try weights.tensor(prefix + "level_embed", shape: [3, d])
        encoderLayers = try (0..<config.encoderLayers).map {
            try DeformableEncoderLayer(config: config, weights: weights, prefix: prefix + "encoder.layers.\($0).")
        }
        lateralConv = try weights.conv2d(prefix + "adapter_1.0", input: backbone.channels(stage: 0), output: d, kernel: 1, bias: false)
        lateralNorm = try weights.groupNorm(prefix + "adapter_1.1", channels: d)
        outputConv = try weights.conv2d(prefix + "layer_1.0", input: d, output: d, kernel: 3, padding: 1, bias: false)
        outputNorm = try weights.groupNorm(prefix + "layer_1.1", channels: d)
        maskProjection = try weights.conv2d(prefix + "mask_projection", input: d, output: config.maskFeatureSize, kernel: 1)
    }

    /// `features`: the backbone's four maps, fine → coarse (strides 4, 8, 16, 32).
    func callAsFunction(_ features: [Tensor]) -> PixelDecoderOutput {
        var levels: [FeatureLevel] = []
        var projectedMaps: [Tensor] = []
        var tokenCount = 0
        for l in 0..<3 {
            let source = features[3 - l]
            let projected = inputProjections[l].norm(inputProjections[l].conv(source))
            let height = projected.shape[1], width = projected.shape[2]
            levels.append(FeatureLevel(height: height, width: width, start: tokenCount))
            projectedMaps.append(projected)
            tokenCount += height * width
        }
        // The levels' token rows and positions are written straight into their concatenations.
        let d = featureSize
        var x = Tensor(shape: [tokenCount, d]) { out in
            for (level, map) in zip(levels, projectedMaps) {
                map.withUnsafeBufferPointer { mp in
                    transpose(mp.baseAddress!, rows: d, columns: level.height * level.width, into: out.baseAddress! + level.start * d)
                }
            }
        }
        let position = Tensor(shape: [tokenCount, d]) { out in
            levelEmbedding.withUnsafeBufferPointer { ep in
                for (l, level) in levels.enumerated() {
                    writeSinePositionEmbedding(height: level.height, width: level.width, featuresPerAxis: d / 2,
                                               plus: ep.baseAddress! + l * d, into: out.baseAddress! + level.start * d)
                }
            }
        }
        let referencePoints = deformableReferencePoints(levels: levels)
        for layer in encoderLayers {
            layer.update(&x, position: position, referencePoints: referencePoints, levels: levels)
        }
        let outputs = levels.map { level in
            Tensor(shape: [d, level.height, level.width]) { out in
                x.withUnsafeBufferPointer { xp in
                    transpose(xp.baseAddress! + level.start * d, rows: level.height * level.width, columns: d, into: out.baseAddress!)
                }
            }
        }
        // FPN: lateral stride-4 features plus the finest encoder output upsampled (bilinear).
        let finest = features[0]
        var merged = lateralNorm(lateralConv(finest))
        merged += resizeBilinear(outputs[2], height: finest.shape[1], width: finest.shape[2])
        var fused = outputNorm(outputConv(merged))
        fused.applyReLU()
        return PixelDecoderOutput(multiScaleFeatures: outputs, maskFeatures: maskProjection(fused))
    }
}
