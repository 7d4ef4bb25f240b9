// How much memory one forward pass needs, from the config and the input size alone, so that a size
// the machine cannot hold is refused with a message before anything large is allocated.
//
// The count follows the code: each stage's largest simultaneously live tensors (element counts of the
// Swin blocks, the deformable encoder layers, the FPN step, the decoder layers) plus what is kept
// across stages (backbone maps, pixel-decoder outputs, every layer's attention mask, cross-attention
// and full-resolution mask logits, as the explorer keeps them). It errs high: temporaries a stage frees
// early are counted as live for the whole stage. MemoryEstimateTests holds it to the measured RSS.

import Foundation
import TensorCore

public struct MemoryEstimate: Sendable, Equatable {
    public var inputHeight: Int
    public var inputWidth: Int
    /// The f32 weights as the model holds them (plus Swin's expanded relative position biases).
    public var weightBytes: Int
    /// The most activation memory live at once, and the part of the network where that happens.
    public var activationBytes: Int
    public var peakStage: String
    public var totalBytes: Int

    /// Estimates a forward pass at `height × width` (the model input, after preprocessing).
    /// `fileWeightBytes`: the f32 size of the checkpoint's tensors. Throws `SizeOverflow` when a size
    /// does not even fit in Int.
    public static func forward(config: Mask2FormerConfig, height: Int, width: Int, fileWeightBytes: Int,
                               workers: Int = parallelWorkerCount) throws(SizeOverflow) -> MemoryEstimate {
        let float = MemoryLayout<Float>.size
        func bytes(_ elements: Int) throws(SizeOverflow) -> Int { try checkedProduct(elements, float) }
        let pixels = try checkedProduct(3, height, width)
        let backbone: BackboneMemory = switch config.backbone {
        case .swin(let swin): try swinMemory(swin, height: height, width: width, fileWeightBytes: fileWeightBytes, workers: workers)
        case .resnet(let resnet): try resNetMemory(resnet, height: height, width: width, fileWeightBytes: fileWeightBytes)
        }
        let (weights, backboneTransient, stageTokens, kept) = (backbone.weights, backbone.transient, backbone.stageTokens, backbone.kept)
        let backbonePeak = try checkedSum(pixels, backboneTransient)

        // Pixel decoder: the three coarse levels as S tokens of width d.
        let d = config.featureSize, heads = config.numAttentionHeads
        let finest = stageTokens[0]
        let tokensS = try checkedSum(stageTokens[1], stageTokens[2], stageTokens[3])
        // Token and position rows (as arrays, then as tensors), reference points.
        let encoderInputs = try checkedSum(try checkedProduct(4, tokensS, d), try checkedProduct(2, tokensS))
        // Query, value, offsets+weights (36h), locations (24h), softmaxed weights (12h), sampled, output, norm.
        let sampling = try checkedProduct(tokensS, try checkedSum(try checkedProduct(5, d), try checkedProduct(72, heads)))
        let feedforward = try checkedProduct(tokensS, try checkedSum(try checkedProduct(3, d), config.encoderFeedforwardDim))
        let encoderPeak = try checkedSum(encoderInputs, max(sampling, feedforward))
        // The level maps, the lateral conv and norm, the upsampled level, the 3×3 conv and norm, mask projection.
        let fpnPeak = try checkedSum(try checkedProduct(2, tokensS, d), try checkedProduct(5, finest, d),
                                     try checkedProduct(finest, config.maskFeatureSize))
        let pixelDecoderPeak = try checkedSum(pixels, kept, max(encoderPeak, fpnPeak))

        // Transformer decoder, with everything the explorer keeps: per layer an attention mask (bytes),
        // cross-attention averaged over heads, and full-resolution mask logits for every prediction.
        let q = config.numQueries, hd = config.hiddenDim
        let maskFeatures = try checkedProduct(config.maskFeatureSize, finest)
        let levelTokens = [stageTokens[3], stageTokens[2], stageTokens[1]]   // strides 32, 16, 8
        var memories = try checkedSum(try checkedProduct(2, tokensS, hd), try checkedProduct(config.maskFeatureSize, tokensS))
        if config.hasDecoderInputProjection { memories = try checkedSum(memories, try checkedProduct(tokensS, hd)) }
        var traces = 0, layerPeak = 0
        for j in 0..<config.transformerLayers {
            let level = levelTokens[j % 3]
            let perQuery = try checkedProduct(q, level)
            // Mask bytes (a quarter float each) and the averaged cross-attention are kept.
            traces = try checkedSum(traces, ceilDivide(perQuery, float), perQuery)
            // Level logits, keys, values, key input, per-worker scores, per-head weights, query-side work.
            let layer = try checkedSum(perQuery, try checkedProduct(3, level, hd),
                                       try checkedProduct(min(heads, workers), perQuery), try checkedProduct(heads, perQuery),
                                       try checkedProduct(q, try checkedSum(try checkedProduct(8, hd), config.dimFeedforward, try checkedProduct(heads, q))))
            layerPeak = max(layerPeak, layer)
        }
        let maskLogits = try checkedProduct(config.decoderLayers, q, finest)
        let decoderPeak = try checkedSum(pixels, kept, try checkedProduct(tokensS, d), maskFeatures, memories, traces, layerPeak, maskLogits)

        var peak = ("the backbone", backbonePeak)
        if pixelDecoderPeak > peak.1 { peak = ("the pixel decoder", pixelDecoderPeak) }
        if decoderPeak > peak.1 { peak = ("the transformer decoder", decoderPeak) }
        let activations = try bytes(peak.1)
        return MemoryEstimate(inputHeight: height, inputWidth: width, weightBytes: weights, activationBytes: activations,
                              peakStage: peak.0, totalBytes: try checkedSum(weights, activations))
    }

    /// What the backbone adds: weights beyond the file's, its transient peak, the token count of each
    /// output map and the elements of the maps kept for the pixel decoder.
    struct BackboneMemory {
        var weights: Int, transient: Int, stageTokens: [Int], kept: Int
    }

    static func swinMemory(_ swin: SwinConfig, height: Int, width: Int, fileWeightBytes: Int,
                           workers: Int) throws(SizeOverflow) -> BackboneMemory {
        let float = MemoryLayout<Float>.size
        func bytes(_ elements: Int) throws(SizeOverflow) -> Int { try checkedProduct(elements, float) }

        // Weights: the file's tensors as f32, plus each block's bias table expanded to [heads, T, T].
        let windowTokens = swin.windowSize * swin.windowSize
        var weights = fileWeightBytes
        for s in 0..<swin.stageCount {
            weights = try checkedSum(weights, try bytes(try checkedProduct(swin.depths[s], swin.numHeads[s], windowTokens, windowTokens)))
        }

        // Backbone. Stage s has an h × w token grid of C channels; window attention runs on the grid
        // padded to whole windows.
        var h = ceilDivide(height, swin.patchSize), w = ceilDivide(width, swin.patchSize)
        let patchInput = try checkedProduct(3, h, w, swin.patchSize, swin.patchSize)
        // Padded input, its im2col rows, the projection, tokens and their norm.
        var backboneTransient = try checkedSum(try checkedProduct(2, patchInput), try checkedProduct(3, swin.embedDim, h, w))
        var stageTokens: [Int] = []
        var kept = 0   // stage maps kept for the pixel decoder
        for s in 0..<swin.stageCount {
            let channels = swin.channels(stage: s)
            let tokens = try checkedProduct(h, w)
            stageTokens.append(tokens)
            let windowRows = try checkedProduct(ceilDivide(h, swin.windowSize), ceilDivide(w, swin.windowSize), windowTokens)
            let windows = windowRows / windowTokens
            // x, its norm, q/k/v, the gathered windows (3C), context, ungathered and projected output.
            let attention = try checkedSum(try checkedProduct(tokens, channels, 6), try checkedProduct(windowRows, channels, 4),
                                           try checkedProduct(workers, windowTokens, windowTokens))
            // x, its norm, the MLP's hidden layer and its output.
            let mlp = try checkedSum(try checkedProduct(tokens, channels, 3), try checkedProduct(tokens, swin.mlpHidden(stage: s)))
            // Both window grids' gather indices (4 bytes each, as a float) and the shift mask.
            let grids = try checkedSum(try checkedProduct(2, windowRows), try checkedProduct(2, tokens),
                                       try checkedProduct(windows, windowTokens, windowTokens))
            // The stage's normed output and its map; patch merging's 4C concatenation, norm and 2C projection.
            let output = try checkedProduct(2, tokens, channels)
            let merging = s < swin.stageCount - 1 ? try checkedProduct(ceilDivide(h, 2), ceilDivide(w, 2), channels, 10) : 0
            let stage = try checkedSum(kept, max(attention, mlp, output, merging), grids)
            backboneTransient = max(backboneTransient, stage)
            kept = try checkedSum(kept, try checkedProduct(tokens, channels))
            if s < swin.stageCount - 1 { (h, w) = (ceilDivide(h, 2), ceilDivide(w, 2)) }
        }
        return BackboneMemory(weights: weights, transient: backboneTransient, stageTokens: stageTokens, kept: kept)
    }

    /// ResNet: BatchNorm is folded into the convolutions (no extra weights). A bottleneck holds its input,
    /// the shortcut, two narrowed maps and its output; the stem its convolution (im2col in row blocks) and pool.
    static func resNetMemory(_ resnet: ResNetConfig, height: Int, width: Int, fileWeightBytes: Int) throws(SizeOverflow) -> BackboneMemory {
        var h = ceilDivide(height, 2), w = ceilDivide(width, 2)
        var transient = try checkedSum(try checkedProduct(2, resnet.embeddingSize, h, w), 1 << 22)
        (h, w) = (ceilDivide(h, 2), ceilDivide(w, 2))
        var inputChannels = resnet.embeddingSize
        var stageTokens: [Int] = [], kept = 0
        for s in 0..<resnet.stageCount {
            if s > 0 { (h, w) = (ceilDivide(h, 2), ceilDivide(w, 2)) }
            let tokens = try checkedProduct(h, w), channels = resnet.channels(stage: s)
            stageTokens.append(tokens)
            let narrow = resnet.layerType == "bottleneck" ? channels / 4 : channels
            let layer = try checkedSum(try checkedProduct(tokens, try checkedSum(inputChannels, channels, channels)),
                                       try checkedProduct(4, tokens, narrow))
            transient = max(transient, try checkedSum(kept, layer))
            kept = try checkedSum(kept, try checkedProduct(tokens, channels))
            inputChannels = channels
        }
        return BackboneMemory(weights: fileWeightBytes, transient: transient, stageTokens: stageTokens, kept: kept)
    }

}

/// Bytes as a person reads them: "412.3 GiB", "96.0 MiB".
public func formatBytes(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
}
