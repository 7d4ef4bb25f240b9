// Port of transformers Mask2FormerMaskPredictor + the class predictor: from a decoder state,
// class logits and the mask embedding, and the binary mask the next layer's cross-attention is limited to.

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

/// The masked-attention mask from mask logits already at the level's size, `[Q, h, w]`:
/// `sigmoid < 0.5` in f32 (not `logit < 0`: for |x| ≲ 6e-8 sigmoid rounds to exactly 0.5, which is open).
/// Rows that would hide everything are opened entirely; their query indices are returned.
///
/// transformers computes the logits at H/4 × W/4 and resizes them bilinearly to the level; resizing is
/// linear per pixel and the logits are linear in the mask features, so the decoder resizes the mask
/// features once per level instead and gets the same logits (up to rounding) for a fraction of the work.
func attentionMask(levelLogits: Tensor) -> (mask: [UInt8], openedQueries: [Int]) {
    let queries = levelLogits.shape[0], pixels = levelLogits.shape[1] * levelLogits.shape[2]
    var mask = [UInt8](repeating: 0, count: queries * pixels)
    var everythingHidden = [Bool](repeating: false, count: queries)
    levelLogits.withUnsafeBufferPointer { rp in
        mask.withUnsafeMutableBufferPointer { mp in
            everythingHidden.withUnsafeMutableBufferPointer { hp in
                let hidden = SendablePointer(mp.baseAddress!), full = SendablePointer(hp.baseAddress!)
                parallelFor(queries, minimumChunk: 8) { range in
                    for q in range {
                        let row = hidden.pointer + q * pixels
                        var count = 0
                        for i in 0..<pixels where sigmoid(rp[q * pixels + i]) < 0.5 {
                            row[i] = 1
                            count += 1
                        }
                        if count == pixels {
                            row.update(repeating: 0, count: pixels)
                            full.pointer[q] = true
                        }
                    }
                }
            }
        }
    }
    return (mask, everythingHidden.indices.filter { everythingHidden[$0] })
}
