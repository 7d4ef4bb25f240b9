// Port of transformers Mask2FormerTransformerModule + Mask2FormerMaskedAttentionDecoder: learned
// queries refined layer by layer, each layer attending only inside the previous layer's mask,
// on the three feature levels in round robin (stride 32, 16, 8, 32, …).

import TensorCore

struct MaskedAttentionDecoder: Sendable {
    var queryFeatures: Tensor            // [Q, d] content init (queries_features)
    var queryPositions: Tensor           // [Q, d] (queries_embedder)
    var levelEmbedding: Tensor           // [3, d], added to the features (so to keys and values)
    var inputProjections: [Conv2d]?      // feature_size → hidden_dim, only when they differ
    var layers: [DecoderLayer]
    var head: MaskHead
    let hiddenDim: Int

    init(config: Mask2FormerConfig, weights: WeightLoader) throws {
        let prefix = "model.transformer_module."
        let d = config.hiddenDim
        hiddenDim = d
        queryFeatures = try weights.tensor(prefix + "queries_features.weight", shape: [config.numQueries, d])
        queryPositions = try weights.tensor(prefix + "queries_embedder.weight", shape: [config.numQueries, d])
        levelEmbedding = try weights.tensor(prefix + "level_embed.weight", shape: [3, d])
        inputProjections = config.hasDecoderInputProjection
            ? try (0..<3).map { try weights.conv2d(prefix + "input_projections.\($0)", input: config.featureSize, output: d, kernel: 1) }
            : nil
        layers = try (0..<config.transformerLayers).map {
            try DecoderLayer(config: config, weights: weights, prefix: prefix + "decoder.layers.\($0).")
        }
        head = try MaskHead(config: config, weights: weights)
    }

    func callAsFunction(_ pixels: PixelDecoderOutput, keepCrossAttention: Bool,
                        progress: (@Sendable (String) -> Void)? = nil) -> (layers: [LayerPrediction], traces: [DecoderLayerTrace]) {
        let levels = pixels.multiScaleFeatures
        let sizes = levels.map { ($0.shape[1], $0.shape[2]) }
        // Keys see memory + position on every layer of a level: made once here, not per layer.
        let memories = levels.enumerated().map { l, features in
            LevelMemory(map: inputProjections.map { $0[l](features) } ?? features,
                        levelEmbedding: levelEmbedding.rows(l..<(l + 1)).reshaped([hiddenDim]))
        }

        // The mask features at each level's size, for the attention masks (see `attentionMask`).
        let levelMaskFeatures = sizes.map { resizeBilinear(pixels.maskFeatures, height: $0.0, width: $0.1) }
        var state = queryFeatures
        var predictions: [LayerPrediction] = []
        var traces: [DecoderLayerTrace] = []
        for j in 0...layers.count {
            let (classLogits, maskEmbedding) = head.predict(state: state)
            if j == layers.count {
                // The answer: its full-resolution masks are part of the forward pass.
                predictions.append(LayerPrediction(classLogits: classLogits,
                    maskLogits: maskLogits(embedding: maskEmbedding, maskFeatures: pixels.maskFeatures)))
                break
            }
            predictions.append(LayerPrediction(classLogits: classLogits, maskEmbedding: maskEmbedding,
                                               maskFeatures: pixels.maskFeatures))
            let layer = layers[j]
            progress?("decoder layer \(j + 1)/\(layers.count)")
            let level = j % 3
            let (height, width) = sizes[level]
            let (mask, opened) = attentionMask(embedding: maskEmbedding, levelFeatures: levelMaskFeatures[level])
            let result = layer(state, queryPosition: queryPositions, memory: memories[level].values,
                               positionedMemory: memories[level].positionedValues, blocked: mask, keepCrossAttention: keepCrossAttention)
            state = result.state
            traces.append(DecoderLayerTrace(
                level: level, height: height, width: width, attentionMask: mask, queriesAttendingEverywhere: opened,
                crossAttention: result.crossAttention?.reshaped([queryFeatures.shape[0], height, width])))
        }
        return (predictions, traces)
    }
}
