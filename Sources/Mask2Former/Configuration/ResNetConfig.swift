// Port of transformers ResNetConfig (configuration_resnet.py): the fields inference reads.

public struct ResNetConfig: Decodable, Sendable, Equatable {
    public var embeddingSize: Int
    /// Output channels of stages 1…4 (256…2048 for ResNet-50/101).
    public var hiddenSizes: [Int]
    public var depths: [Int]
    /// "bottleneck" (ResNet-50/101) or "basic" (ResNet-18/34).
    public var layerType: String
    public var hiddenAct: String
    public var downsampleInFirstStage: Bool
    /// Stride in the bottleneck's first 1×1 conv (detectron2's STRIDE_IN_1X1) instead of its 3×3.
    public var downsampleInBottleneck: Bool
    public var numChannels: Int
    public var outFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case embeddingSize = "embedding_size", hiddenSizes = "hidden_sizes", depths, layerType = "layer_type"
        case hiddenAct = "hidden_act", downsampleInFirstStage = "downsample_in_first_stage"
        case downsampleInBottleneck = "downsample_in_bottleneck", numChannels = "num_channels"
        case outFeatures = "out_features"
    }

    /// Bounds around ResNet-18…152 (depths up to 36, widths up to 2048), small enough that no size
    /// product can overflow.
    public enum Limits {
        public static let width = 1...8192
        public static let depth = 1...64
    }

    public init(embeddingSize: Int = 64, hiddenSizes: [Int] = [256, 512, 1024, 2048], depths: [Int] = [3, 4, 6, 3],
                layerType: String = "bottleneck", hiddenAct: String = "relu", downsampleInFirstStage: Bool = false,
                downsampleInBottleneck: Bool = false, numChannels: Int = 3,
                outFeatures: [String]? = ["stage1", "stage2", "stage3", "stage4"]) {
        self.embeddingSize = embeddingSize; self.hiddenSizes = hiddenSizes; self.depths = depths
        self.layerType = layerType; self.hiddenAct = hiddenAct; self.downsampleInFirstStage = downsampleInFirstStage
        self.downsampleInBottleneck = downsampleInBottleneck; self.numChannels = numChannels; self.outFeatures = outFeatures
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // ResNetConfig's own defaults (ResNet-50) apply to fields a nested backbone_config leaves out.
        embeddingSize = try c.integer(.embeddingSize, default: 64, in: Limits.width)
        hiddenSizes = try c.integers(.hiddenSizes, default: [256, 512, 1024, 2048], count: 4, in: Limits.width)
        depths = try c.integers(.depths, default: [3, 4, 6, 3], count: 4, in: Limits.depth)
        layerType = try c.text(.layerType, default: "bottleneck")
        hiddenAct = try c.text(.hiddenAct, default: "relu")
        downsampleInFirstStage = try c.flag(.downsampleInFirstStage, default: false)
        downsampleInBottleneck = try c.flag(.downsampleInBottleneck, default: false)
        numChannels = try c.integer(.numChannels, default: 3, in: 3...3, allowed: "3 (images are RGB)")
        outFeatures = try c.texts(.outFeatures)
        if layerType == "bottleneck" {
            // ResNetBottleNeckLayer narrows to out_channels // 4: it must not be 0.
            for (s, width) in hiddenSizes.enumerated() where width < 4 {
                throw ConfigFieldError(field: c.fieldPath(.hiddenSizes, index: s), value: String(width),
                                       allowed: "at least 4 (a bottleneck narrows to a quarter of it)")
            }
        }
    }

    public var stageCount: Int { depths.count }
    /// Channels of stage s (0-based).
    public func channels(stage: Int) -> Int { hiddenSizes[stage] }

    /// Checks what this port implements; throws a sentence naming the field.
    func validate(file: String) throws {
        guard layerType == "bottleneck" || layerType == "basic" else {
            throw ModelError.unsupported(file: file, detail: "backbone_config.layer_type '\(layerType)' is not supported; supported: bottleneck, basic")
        }
        guard hiddenAct == "relu" else {
            throw ModelError.unsupported(file: file, detail: "backbone_config.hidden_act '\(hiddenAct)' is not supported; supported: relu")
        }
        guard !downsampleInFirstStage else {
            // The first stage would then run at stride 8, not the stride 4 Mask2Former's pixel decoder expects.
            throw ModelError.unsupported(file: file, detail: "backbone_config.downsample_in_first_stage = true is not supported (Mask2Former needs feature strides 4, 8, 16, 32)")
        }
        if let outFeatures, outFeatures != ["stage1", "stage2", "stage3", "stage4"] {
            throw ModelError.unsupported(file: file, detail: "backbone_config.out_features \(outFeatures) is not supported; Mask2Former needs [stage1, stage2, stage3, stage4]")
        }
    }
}
