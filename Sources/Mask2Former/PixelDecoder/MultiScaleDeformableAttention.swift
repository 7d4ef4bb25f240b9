// Port of transformers Mask2FormerPixelDecoderEncoderMultiscaleDeformableAttention: each token
// samples 4 points per head on each of the 3 levels around its reference point.

import TensorCore

struct MultiScaleDeformableAttention: Sendable {
    /// sampling_offsets (→ [h][l][p][x,y]) and attention_weights (→ [h][l][p]) fused: they read the same query.
    var offsetsAndWeights: Linear
    var valueProjection: Linear
    var outputProjection: Linear
    let heads: Int, levels: Int, points: Int

    init(width: Int, heads: Int, levels: Int, points: Int, weights: WeightLoader, prefix: String) throws {
        self.heads = heads; self.levels = levels; self.points = points
        offsetsAndWeights = .fused([
            try weights.linear(prefix + "sampling_offsets", input: width, output: heads * levels * points * 2),
            try weights.linear(prefix + "attention_weights", input: width, output: heads * levels * points),
        ])
        valueProjection = try weights.linear(prefix + "value_proj", input: width, output: width)
        outputProjection = try weights.linear(prefix + "output_proj", input: width, output: width)
    }

    /// - x: `[S, d]` tokens of all levels; position: `[S, d]` (added to the query only);
    ///   referencePoints: `[S, 2]` normalised (x, y).
    func callAsFunction(_ x: Tensor, position: Tensor, referencePoints: Tensor, featureLevels: [FeatureLevel]) -> Tensor {
        let tokenCount = x.shape[0]
        let query = x + position
        let value = valueProjection(x)
        let projected = offsetsAndWeights(query)                  // [S, h·l·p·2 + h·l·p]
        let perToken = heads * levels * points
        // Head-major, the order the sampling reads them in (one head's tokens in a row).
        let perHead = levels * points
        var locations = Tensor(shape: [heads, tokenCount, levels, points, 2], unsafeUninitialized: { _ in })
        var weights = Tensor(shape: [heads, tokenCount, levels, points], unsafeUninitialized: { _ in })
        projected.withUnsafeBufferPointer { pp in
            referencePoints.withUnsafeBufferPointer { rp in
                locations.withUnsafeMutableBufferPointer { lp in
                    weights.withUnsafeMutableBufferPointer { wp in
                        let location = SendablePointer(lp.baseAddress!), weight = SendablePointer(wp.baseAddress!)
                        parallelFor(tokenCount, minimumChunk: 64) { range in
                            // Scratch for `softmaxRows`: one token's logits, all heads side by side.
                            let shifted = UnsafeMutablePointer<Float>.allocate(capacity: perToken)
                            defer { shifted.deallocate() }
                            for s in range {
                                let offsets = pp.baseAddress! + s * 3 * perToken
                                // loc = reference + offset / (W_l, H_l), as transformers divides by the offset normaliser.
                                let refX = rp[2 * s], refY = rp[2 * s + 1]
                                for h in 0..<heads {
                                    let out = location.pointer + 2 * (h * tokenCount + s) * perHead
                                    for l in 0..<levels {
                                        let w = Float(featureLevels[l].width), hgt = Float(featureLevels[l].height)
                                        for p in 0..<points {
                                            let i = (h * levels + l) * points + p, j = l * points + p
                                            out[2 * j] = refX + offsets[2 * i] / w
                                            out[2 * j + 1] = refY + offsets[2 * i + 1] / hgt
                                        }
                                    }
                                }
                                // Softmax jointly over (level, point), per head (all heads' exponentials in one loop).
                                softmaxRows(offsets + 2 * perToken, rows: heads, count: perHead, scratch: shifted,
                                            into: weight.pointer + s * perHead, destinationStride: tokenCount * perHead)
                            }
                        }
                    }
                }
            }
        }
        let sampled = multiScaleDeformableSample(
            value: value, levels: featureLevels, locations: locations, weights: weights, heads: heads)
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
