// Port of transformers Mask2FormerPixelDecoderEncoderMultiscaleDeformableAttention: each token
// samples 4 points per head on each of the 3 levels around its reference point.

import TensorCore

struct MultiScaleDeformableAttention: Sendable {
    var samplingOffsets: Linear     // → [heads · levels · points · 2], laid out [h][l][p][x,y]
    var attentionWeights: Linear    // → [heads · levels · points]
    var valueProjection: Linear
    var outputProjection: Linear
    let heads: Int, levels: Int, points: Int

    init(width: Int, heads: Int, levels: Int, points: Int, weights: WeightLoader, prefix: String) throws {
        self.heads = heads; self.levels = levels; self.points = points
        samplingOffsets = try weights.linear(prefix + "sampling_offsets", input: width, output: heads * levels * points * 2)
        attentionWeights = try weights.linear(prefix + "attention_weights", input: width, output: heads * levels * points)
        valueProjection = try weights.linear(prefix + "value_proj", input: width, output: width)
        outputProjection = try weights.linear(prefix + "output_proj", input: width, output: width)
    }

    /// - x: `[S, d]` tokens of all levels; position: `[S, d]` (added to the query only);
    ///   referencePoints: `[S, 2]` normalised (x, y).
    func callAsFunction(_ x: Tensor, position: Tensor, referencePoints: Tensor, featureLevels: [FeatureLevel]) -> Tensor {
        let tokenCount = x.shape[0]
        let query = x + position
        let value = valueProjection(x)
        let offsets = samplingOffsets(query)                        // [S, h·l·p·2]
        var weights = attentionWeights(query).reshaped([tokenCount * heads, levels * points])
        weights.applySoftmax()                                      // jointly over (level, point), per head
        // loc = reference + offset / (W_l, H_l), as transformers divides by the offset normaliser.
        let locations = Tensor(shape: [tokenCount, heads, levels, points, 2]) { out in
            offsets.withUnsafeBufferPointer { op in
                referencePoints.withUnsafeBufferPointer { rp in
                    let dst = SendablePointer(out.baseAddress!)
                    let perToken = heads * levels * points
                    parallelFor(tokenCount, minimumChunk: 64) { range in
                        for s in range {
                            let refX = rp[2 * s], refY = rp[2 * s + 1]
                            for h in 0..<heads {
                                for l in 0..<levels {
                                    let w = Float(featureLevels[l].width), hgt = Float(featureLevels[l].height)
                                    for p in 0..<points {
                                        let i = s * perToken + (h * levels + l) * points + p
                                        dst.pointer[2 * i] = refX + op[2 * i] / w
                                        dst.pointer[2 * i + 1] = refY + op[2 * i + 1] / hgt
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let sampled = multiScaleDeformableSample(
            value: value, levels: featureLevels, locations: locations,
            weights: weights.reshaped([tokenCount, heads, levels, points]), heads: heads)
        return outputProjection(sampled)
    }
}

/// Reference point of every token: pixel centres `((x + 0.5)/W, (y + 0.5)/H)`, levels concatenated.
func deformableReferencePoints(levels: [FeatureLevel]) -> Tensor {
    let total = levels.reduce(0) { $0 + $1.height * $1.width }
    return Tensor(shape: [total, 2]) { out in
        for level in levels {
            for y in 0..<level.height {
                for x in 0..<level.width {
                    let i = level.start + y * level.width + x
                    out[2 * i] = (Float(x) + 0.5) / Float(level.width)
                    out[2 * i + 1] = (Float(y) + 0.5) / Float(level.height)
                }
            }
        }
    }
}
