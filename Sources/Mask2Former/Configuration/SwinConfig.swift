// Port of transformers SwinConfig (configuration_swin.py): the fields inference reads.

import FileIO

public struct SwinConfig: Decodable, Sendable, Equatable {
    public var modelType: String
    public var embedDim: Int
    public var depths: [Int]
    public var numHeads: [Int]
    public var windowSize: Int
    public var patchSize: Int
    public var numChannels: Int
    public var mlpRatio: Double
    public var qkvBias: Bool
    public var hiddenAct: String
    public var layerNormEps: Float
    public var useAbsoluteEmbeddings: Bool
    public var outFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", embedDim = "embed_dim", depths, numHeads = "num_heads"
        case windowSize = "window_size", patchSize = "patch_size", numChannels = "num_channels"
        case mlpRatio = "mlp_ratio", qkvBias = "qkv_bias", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", useAbsoluteEmbeddings = "use_absolute_embeddings"
        case outFeatures = "out_features"
    }

    /// transformers' defaults when config.json has no backbone_config: Swin with depths [2, 2, 18, 2].
    public static let mask2FormerDefault = SwinConfig(
        modelType: "swin", embedDim: 96, depths: [2, 2, 18, 2], numHeads: [3, 6, 12, 24], windowSize: 7,
        patchSize: 4, numChannels: 3, mlpRatio: 4, qkvBias: true, hiddenAct: "gelu", layerNormEps: 1e-5,
        useAbsoluteEmbeddings: false, outFeatures: ["stage1", "stage2", "stage3", "stage4"])

    public init(modelType: String, embedDim: Int, depths: [Int], numHeads: [Int], windowSize: Int, patchSize: Int,
                numChannels: Int, mlpRatio: Double, qkvBias: Bool, hiddenAct: String, layerNormEps: Float,
                useAbsoluteEmbeddings: Bool, outFeatures: [String]?) {
        self.modelType = modelType; self.embedDim = embedDim; self.depths = depths; self.numHeads = numHeads
        self.windowSize = windowSize; self.patchSize = patchSize; self.numChannels = numChannels
        self.mlpRatio = mlpRatio; self.qkvBias = qkvBias; self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps; self.useAbsoluteEmbeddings = useAbsoluteEmbeddings; self.outFeatures = outFeatures
    }

    /// What the reads accept: generous bounds around every published Swin (T/S/B/L: embed_dim 96–192,
    /// depths up to 18, heads up to 48, window 7 or 12), small enough that no size product can overflow.
    public enum Limits {
        public static let embedDim = 1...1024
        public static let depth = 1...64
        public static let heads = 1...256
        public static let windowSize = 1...32
        public static let mlpRatio = "a number above 0 and at most 16"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // SwinConfig's own defaults (Swin-T) apply to fields a nested backbone_config leaves out.
        let modelType = try c.text(.modelType, default: "swin")
        // Another backbone's fields mean other things: leave them unread so validate() says "not supported".
        guard modelType == "swin" else {
            self = .mask2FormerDefault
            self.modelType = modelType
            return
        }
        self.modelType = modelType
        embedDim = try c.integer(.embedDim, default: 96, in: Limits.embedDim)
        depths = try c.integers(.depths, default: [2, 2, 6, 2], count: 4, in: Limits.depth)
        numHeads = try c.integers(.numHeads, default: [3, 6, 12, 24], count: 4, in: Limits.heads,
                                  allowed: "a positive divisor of its stage's width (embed_dim · 2^stage), at most \(Limits.heads.upperBound)")
        windowSize = try c.integer(.windowSize, default: 7, in: Limits.windowSize)
        // The feature strides Mask2Former is built around (4, 8, 16, 32) are patch_size · 2^stage.
        patchSize = try c.integer(.patchSize, default: 4, in: 4...4, allowed: "4 (Mask2Former's feature strides 4, 8, 16, 32 start at the patch size)")
        numChannels = try c.integer(.numChannels, default: 3, in: 3...3, allowed: "3 (images are RGB)")
        mlpRatio = try c.number(.mlpRatio, default: 4, allowed: Limits.mlpRatio) { $0 > 0 && $0 <= 16 }
        qkvBias = try c.flag(.qkvBias, default: true)
        hiddenAct = try c.text(.hiddenAct, default: "gelu")
        layerNormEps = Float(try c.number(.layerNormEps, default: 1e-5, allowed: "a number from 1e-12 to 1") { $0 >= 1e-12 && $0 <= 1 })
        useAbsoluteEmbeddings = try c.flag(.useAbsoluteEmbeddings, default: false)
        outFeatures = try c.texts(.outFeatures)
        for s in 0..<4 {
            let width = channels(stage: s)
            if width % numHeads[s] != 0 {
                throw ConfigFieldError(field: c.fieldPath(.numHeads, index: s), value: String(numHeads[s]),
                                       allowed: "a divisor of stage \(s + 1)'s width \(width) (embed_dim \(embedDim) · \(1 << s))")
            }
            if mlpHidden(stage: s) < 1 {
                throw ConfigFieldError(field: c.fieldPath(.mlpRatio), value: JSONValue.format(mlpRatio),
                                       allowed: "large enough that mlp_ratio · \(width) is at least 1")
            }
        }
    }

    public var stageCount: Int { depths.count }
    /// Channels of stage s (0-based): embed_dim · 2^s.
    public func channels(stage: Int) -> Int { embedDim << stage }
    /// Hidden width of the block MLP: `int(mlp_ratio · C)` (truncation, as Python's int()).
    public func mlpHidden(stage: Int) -> Int { Int(mlpRatio * Double(channels(stage: stage))) }

    /// Checks what this port implements; throws a sentence naming the field.
    func validate(file: String) throws {
        guard modelType == "swin" else {
            throw ModelError.unsupported(file: file, detail: "backbone '\(modelType)' is not supported; supported backbones: swin (tiny, small, base, large), resnet (transformers' ResNetBackbone, e.g. ResNet-50/101)")
        }
        guard depths.count == 4, numHeads.count == 4 else {
            throw ModelError.unsupported(file: file, detail: "backbone_config needs 4 stages (depths and num_heads of length 4), got depths \(depths)")
        }
        guard !useAbsoluteEmbeddings else {
            throw ModelError.unsupported(file: file, detail: "backbone_config.use_absolute_embeddings = true is not supported (no published Mask2Former checkpoint uses it)")
        }
        guard hiddenAct == "gelu" else {
            throw ModelError.unsupported(file: file, detail: "backbone_config.hidden_act '\(hiddenAct)' is not supported; supported: gelu")
        }
        guard numChannels == 3 else {
            throw ModelError.unsupported(file: file, detail: "backbone_config.num_channels \(numChannels) is not supported; images are RGB (3)")
        }
        if let outFeatures, outFeatures != ["stage1", "stage2", "stage3", "stage4"] {
            throw ModelError.unsupported(file: file, detail: "backbone_config.out_features \(outFeatures) is not supported; Mask2Former needs [stage1, stage2, stage3, stage4]")
        }
    }
}
