// Port of transformers Mask2FormerPixelDecoderEncoderLayer: deformable self-attention and a ReLU
// FFN, each followed by a residual LayerNorm (post-norm).

import TensorCore

struct DeformableEncoderLayer: Sendable {
    var selfAttention: MultiScaleDeformableAttention
    var selfAttentionNorm: LayerNorm
    var fc1: Linear
    var fc2: Linear
    var finalNorm: LayerNorm

    init(config: Mask2FormerConfig, weights: WeightLoader, prefix: String) throws {
        let width = config.featureSize
        selfAttention = try MultiScaleDeformableAttention(
            width: width, heads: config.numAttentionHeads, levels: 3, points: 4, weights: weights, prefix: prefix + "self_attn.")
        selfAttentionNorm = try weights.layerNorm(prefix + "self_attn_layer_norm", width: width)
        fc1 = try weights.linear(prefix + "fc1", input: width, output: config.encoderFeedforwardDim)
        fc2 = try weights.linear(prefix + "fc2", input: config.encoderFeedforwardDim, output: width)
        finalNorm = try weights.layerNorm(prefix + "final_layer_norm", width: width)
    }

    /// `x [S, d]` in place (each residual add and its norm are one pass over x's storage).
    func update(_ x: inout Tensor, position: Tensor, referencePoints: Tensor, levels: [FeatureLevel]) {
        selfAttentionNorm.normalizeSum(&x, adding: selfAttention(x, position: position, referencePoints: referencePoints,
                                                                featureLevels: levels))
        var hidden = fc1(x)
        hidden.applyReLU()   // hard-coded ReLU, whatever activation_function says
        finalNorm.normalizeSum(&x, adding: fc2(hidden))
    }
}
