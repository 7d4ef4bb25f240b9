// Port of transformers Mask2FormerForUniversalSegmentation at inference: Swin backbone → pixel
// decoder → masked-attention decoder, returning every layer's prediction.

import Dispatch
import Safetensors
import TensorCore

public struct ForwardOptions: Sendable {
    /// Keep each decoder layer's cross-attention weights (mean over heads) for the explorer.
    public var keepCrossAttention = false
    /// Keep the backbone and pixel-decoder outputs (parity tests, inspection).
    public var keepIntermediates = false
    /// Told the name of each stage as it starts ("backbone", "pixel decoder", "decoder layer 3/9").
    public var progress: (@Sendable (String) -> Void)?
    public init(keepCrossAttention: Bool = false, keepIntermediates: Bool = false, progress: (@Sendable (String) -> Void)? = nil) {
        self.keepCrossAttention = keepCrossAttention
        self.keepIntermediates = keepIntermediates
        self.progress = progress
    }
}

public final class Mask2FormerModel: Sendable {
    public let config: Mask2FormerConfig
    public let processorConfig: ImageProcessorConfig
    public let location: CheckpointLocation
    /// Every parameter read, in load order (what `maskscope inspect` lists).
    public let parameters: [ParameterRecord]
    let backbone: SwinBackbone
    let pixelDecoder: PixelDecoder
    let decoder: MaskedAttentionDecoder

    /// Loads and verifies a checkpoint folder: config, preprocessing settings, and every weight.
    public init(location: CheckpointLocation) throws {
        self.location = location
        config = try Mask2FormerConfig.load(path: location.configPath)
        processorConfig = try ImageProcessorConfig.load(path: location.preprocessorConfigPath)
        let weights = WeightLoader(file: try SafetensorsFile(path: location.weightsPath))
        backbone = try SwinBackbone(config: config.backbone, weights: weights, prefix: "model.pixel_level_module.encoder.")
        pixelDecoder = try PixelDecoder(config: config, weights: weights, prefix: "model.pixel_level_module.decoder.")
        decoder = try MaskedAttentionDecoder(config: config, weights: weights)
        try weights.checkEverythingUsed()
        parameters = weights.records
    }

    /// Resolves `--model` (folder or cached hub id) and loads it.
    public convenience init(model: String) throws {
        try self.init(location: try CheckpointLocation.resolve(model))
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Runs the network on preprocessed `pixelValues [3, H, W]`.
    public func forward(_ pixelValues: Tensor, options: ForwardOptions = ForwardOptions()) -> Predictions {
        precondition(pixelValues.rank == 3 && pixelValues.shape[0] == 3, "pixel values must be [3, H, W], got \(pixelValues.shape)")
        var timings = StageTimings()
        var clock = DispatchTime.now().uptimeNanoseconds
        var operations = gemmOperationCount
        func lap() -> (seconds: Double, operations: Int) {
            let now = DispatchTime.now().uptimeNanoseconds, count = gemmOperationCount
            defer { clock = now; operations = count }
            return (Double(now - clock) / 1e9, count - operations)
        }
        options.progress?("backbone")
        let features = backbone(pixelValues)
        (timings.backbone, timings.backboneOperations) = lap()
        options.progress?("pixel decoder")
        let pixels = pixelDecoder(features)
        (timings.pixelDecoder, timings.pixelDecoderOperations) = lap()
        let (layers, traces) = decoder(pixels, keepCrossAttention: options.keepCrossAttention, progress: options.progress)
        (timings.transformerDecoder, timings.transformerDecoderOperations) = lap()
        return Predictions(
            layers: layers, decoderLayers: traces,
            inputHeight: pixelValues.shape[1], inputWidth: pixelValues.shape[2],
            intermediates: options.keepIntermediates
                ? Intermediates(backboneFeatures: features, multiScaleFeatures: pixels.multiScaleFeatures, maskFeatures: pixels.maskFeatures)
                : nil,
            timings: timings)
    }
}
