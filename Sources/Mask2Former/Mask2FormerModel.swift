// Port of transformers Mask2FormerForUniversalSegmentation at inference: Swin or ResNet backbone → pixel
// decoder → masked-attention decoder, returning every layer's prediction.

import Dispatch
import TorchCheckpoint
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
    /// The weights file's format, as `maskscope inspect` names it.
    public let weightsFormat: String
    /// Every parameter read, in load order (what `maskscope inspect` lists).
    public let parameters: [ParameterRecord]
    /// For a detectron2 checkpoint: the architecture read from its shapes, its dataset and preprocessing.
    public let detectron2: Detectron2Architecture?
    let backbone: any FeatureBackbone
    let pixelDecoder: PixelDecoder
    let decoder: MaskedAttentionDecoder

    /// The memory a forward pass may use (checked at load for the largest input the processor makes).
    public let memoryLimit: MemoryLimit
    /// The checkpoint's weights as f32, bytes (for memory estimates).
    let fileWeightBytes: Int

    /// Loads and verifies a checkpoint folder: config, preprocessing settings, memory for the largest
    /// input they allow, and every weight (present, right shape, finite).
    /// `memoryLimit`: nil means `MemoryLimit.standard()` (MASKSCOPE_MEMORY_LIMIT, else 80 % of memory).
    /// `labelCatalog` names the classes of a detectron2 checkpoint from its class count.
    /// `preprocessing` (`--preprocess`): nil means transformers 5.x with torchvision for a transformers
    /// checkpoint and detectron2's own for a detectron2 one; the other combinations are refused.
    public init(location: CheckpointLocation, memoryLimit: MemoryLimit? = nil, labelCatalog: Detectron2LabelCatalog? = nil,
                preprocessing: PreprocessingBackend? = nil, detectron2Config: Detectron2ConfigFile? = nil) throws {
        self.location = location
        let weightFile: any WeightFile
        if location.isDetectron2 {
            let file = try openWeightFile(path: location.weightsPath)
            var architecture = try Detectron2Architecture(
                shapes: file.tensors.mapValues(\.shape), path: location.weightsPath, catalog: labelCatalog)
            if let detectron2Config { try architecture.apply(detectron2Config, checkpoint: location.weightsPath) }
            detectron2 = architecture
            config = architecture.config
            if let preprocessing, preprocessing != .detectron2 {
                throw ModelError.unsupported(
                    file: location.weightsPath,
                    detail: "--preprocess \(preprocessing.rawValue) needs a transformers checkpoint's preprocessor_config.json; a detectron2 checkpoint is preprocessed as detectron2 does (--preprocess detectron2, the default for it)")
            }
            processorConfig = architecture.preprocessing.processorConfig
            weightFile = try Detectron2Weights(file: file)
        } else {
            detectron2 = nil
            config = try Mask2FormerConfig.load(path: location.configPath)
            if let detectron2Config {
                throw ModelError.unsupported(
                    file: detectron2Config.files.first ?? "--detectron2-config",
                    detail: "--detectron2-config is for detectron2 checkpoints (.pkl/.pth); \(location.name) is in the transformers layout, whose preprocessor_config.json says how to preprocess")
            }
            if preprocessing == .detectron2 {
                throw ModelError.unsupported(
                    file: location.preprocessorConfigPath,
                    detail: "--preprocess detectron2 is for detectron2 checkpoints (.pkl/.pth); for a transformers checkpoint use \(PreprocessingBackend.transformers5Torchvision.rawValue) (the default) or \(PreprocessingBackend.transformers4PIL.rawValue)")
            }
            var settings = try ImageProcessorConfig.load(path: location.preprocessorConfigPath)
            settings.backend = preprocessing ?? .transformersDefault
            processorConfig = settings
            weightFile = try openWeightFile(path: location.weightsPath)
        }
        let limit = try memoryLimit ?? MemoryLimit.standard()
        self.memoryLimit = limit
        weightsFormat = weightFile.formatName
        let weights = WeightLoader(file: weightFile)
        do { fileWeightBytes = try weights.floatBytes } catch {
            throw ModelError.unsupported(file: location.weightsPath, detail: "tensor sizes beyond what memory can address; the header is corrupt")
        }
        // Refuse before building anything large: the weights, and the biggest input the processor can
        // make. Without resizing the input is the image's size, checked once known (checkMemory).
        let smallest = Self.estimate(config: config, height: 32, width: 32, fileWeightBytes: fileWeightBytes)
        if smallest.totalBytes > limit.bytes {
            throw ModelError.tooMuchMemory(subject: location.configPath, estimate: smallest, limit: limit,
                                           remedy: "the model alone is too large for it")
        }
        if let largest = ImageProcessor(config: processorConfig).largestOutputSize {
            let estimate = Self.estimate(config: config, height: largest.height, width: largest.width, fileWeightBytes: fileWeightBytes)
            if estimate.totalBytes > limit.bytes {
                throw ModelError.tooMuchMemory(
                    subject: location.preprocessorConfigPath, estimate: estimate, limit: limit,
                    remedy: "its size (and size_divisor) allow inputs this large: lower them")
            }
        }
        backbone = try makeBackbone(config: config.backbone, weights: weights, prefix: "model.pixel_level_module.encoder.")
        pixelDecoder = try PixelDecoder(config: config, weights: weights, prefix: "model.pixel_level_module.decoder.")
        decoder = try MaskedAttentionDecoder(config: config, weights: weights)
        try weights.checkEverythingUsed()
        parameters = weights.records
    }

    /// Resolves `--model` (folder or cached hub id) and loads it.
    public convenience init(model: String, memoryLimit: MemoryLimit? = nil, labelCatalog: Detectron2LabelCatalog? = nil,
                            preprocessing: PreprocessingBackend? = nil, detectron2Config: Detectron2ConfigFile? = nil) throws {
        try self.init(location: try CheckpointLocation.resolve(model), memoryLimit: memoryLimit, labelCatalog: labelCatalog,
                      preprocessing: preprocessing, detectron2Config: detectron2Config)
    }

    /// The memory a forward pass at `height × width` (the model input) needs.
    public func memoryEstimate(height: Int, width: Int) -> MemoryEstimate {
        Self.estimate(config: config, height: height, width: width, fileWeightBytes: fileWeightBytes)
    }

    /// Throws `tooMuchMemory` when a forward pass on a `height × width` input would exceed the limit.
    /// Call it before preprocessing an image whose size the processor does not bound (do_resize false).
    public func checkMemory(inputHeight height: Int, inputWidth width: Int) throws {
        let estimate = memoryEstimate(height: height, width: width)
        if estimate.totalBytes > memoryLimit.bytes {
            throw ModelError.tooMuchMemory(subject: "\(width)×\(height) input", estimate: estimate, limit: memoryLimit,
                                           remedy: "downscale the image (preprocessor_config.json does not resize it)")
        }
    }

    /// The input size preprocessing gives an image of `height × width`, after checking that a forward
    /// pass on it fits the memory limit.
    public func checkedInputSize(imageHeight height: Int, imageWidth width: Int) throws -> (height: Int, width: Int) {
        let size = ImageProcessor(config: processorConfig).outputSize(height: height, width: width)
        try checkMemory(inputHeight: size.height, inputWidth: size.width)
        return size
    }

    /// `MemoryEstimate.forward`, saturated at Int.max where a size overflows (certainly over any limit).
    static func estimate(config: Mask2FormerConfig, height: Int, width: Int, fileWeightBytes: Int) -> MemoryEstimate {
        do {
            return try MemoryEstimate.forward(config: config, height: height, width: width, fileWeightBytes: fileWeightBytes)
        } catch {
            return MemoryEstimate(inputHeight: height, inputWidth: width, weightBytes: fileWeightBytes,
                                  activationBytes: Int.max, peakStage: "sizes beyond Int", totalBytes: Int.max)
        }
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
