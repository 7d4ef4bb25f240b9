// Port of transformers Mask2FormerMaskPredictor + the class predictor: from a decoder state,
// class logits and the mask embedding (the next layer's attention mask is made from it: AttentionMask.swift).

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

    /// `state [Q, d]` → class logits `[Q, K+1]` and the mask embedding `[Q, md]` (mask logits are its
    /// product with the mask features).
    func predict(state: Tensor) -> (classLogits: Tensor, maskEmbedding: Tensor) {
        let normed = decoderNorm(state)
        var embedding = normed
        for (i, layer) in maskEmbedder.enumerated() {
            embedding = layer(embedding)
            if i < maskEmbedder.count - 1 { embedding.applyReLU() }
        }
        return (classPredictor(normed), embedding)
    }
}
