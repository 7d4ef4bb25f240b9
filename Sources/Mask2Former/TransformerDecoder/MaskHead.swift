// Port of transformers Mask2FormerMaskPredictor + the class predictor: from a decoder state,
// class logits, mask logits, and the binary mask the next layer's cross-attention is limited to.

import TensorCore

struct MaskHead: Sendable {
    var decoderNorm: LayerNorm          // decoder.layernorm, applied before both heads
    var classPredictor: Linear          // → [K+1]
    var maskEmbedder: [Linear]          // 3 layers, ReLU after the first two

    init(config: Mask2FormerConfig, weights: WeightLoader) throws {
        let d = config.hiddenDim
        decoderNorm = try weights.layerNorm("model.transformer_module.decoder.layernorm", width: d)
        classPredictor = try weights.linear("class_predictor", input: d, output: config.numLabels + 1)
        maskEmbedder = try [d, d, config.maskFeatureSize].enumerated().map { i, output in
            try weights.linear("model.transformer_module.decoder.mask_predictor.mask_embedder.\(i).0", input: d, output: output)
        }
    }

    /// `state [Q, d]`, `maskFeatures [md, H4, W4]` → class logits and mask logits `[Q, H4, W4]`.
    func predict(state: Tensor, maskFeatures: Tensor) -> LayerPrediction {
        let normed = decoderNorm(state)
        var embedding = normed
        for (i, layer) in maskEmbedder.enumerated() {
            embedding = layer(embedding)
            if i < maskEmbedder.count - 1 { embedding.applyReLU() }
        }
        let height = maskFeatures.shape[1], width = maskFeatures.shape[2]
        let masks = matmul(embedding, maskFeatures.reshaped([maskFeatures.shape[0], height * width]))
        return LayerPrediction(classLogits: classPredictor(normed),
                               maskLogits: masks.reshaped([state.shape[0], height, width]))
    }
}

/// The masked-attention mask from mask logits: bilinear resize to the level, then `sigmoid < 0.5`
/// in f32 (not `logit < 0`: for |x| ≲ 6e-8 sigmoid rounds to exactly 0.5, which is open).
/// Rows that would hide everything are opened entirely; their query indices are returned.
func attentionMask(maskLogits: Tensor, height: Int, width: Int) -> (mask: [UInt8], openedQueries: [Int]) {
    let resized = resizeBilinear(maskLogits, height: height, width: width)
    let queries = maskLogits.shape[0], pixels = height * width
    var mask = [UInt8](repeating: 0, count: queries * pixels)
    var opened: [Int] = []
    resized.withUnsafeBufferPointer { rp in
        for q in 0..<queries {
            var hidden = 0
            for i in 0..<pixels where sigmoid(rp[q * pixels + i]) < 0.5 {
                mask[q * pixels + i] = 1
                hidden += 1
            }
            if hidden == pixels {
                for i in 0..<pixels { mask[q * pixels + i] = 0 }
                opened.append(q)
            }
        }
    }
    return (mask, opened)
}
