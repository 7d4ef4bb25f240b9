// Port of transformers SwinConfig (configuration_swin.py): the fields inference reads.

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

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // SwinConfig's own defaults (Swin-T) apply to fields a nested backbone_config leaves out.
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "swin"
        embedDim = try c.decodeIfPresent(Int.self, forKey: .embedDim) ?? 96
        depths = try c.decodeIfPresent([Int].self, forKey: .depths) ?? [2, 2, 6, 2]
        numHeads = try c.decodeIfPresent([Int].self, forKey: .numHeads) ?? [3, 6, 12, 24]
        windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize) ?? 7
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 4
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? 3
        mlpRatio = try c.decodeIfPresent(Double.self, forKey: .mlpRatio) ?? 4
        qkvBias = try c.decodeIfPresent(Bool.self, forKey: .qkvBias) ?? true
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        useAbsoluteEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .useAbsoluteEmbeddings) ?? false
        outFeatures = try c.decodeIfPresent([String].self, forKey: .outFeatures)
    }

    public var stageCount: Int { depths.count }
    /// Channels of stage s (0-based): embed_dim · 2^s.
    public func channels(stage: Int) -> Int { embedDim << stage }
    /// Hidden width of the block MLP: `int(mlp_ratio · C)` (truncation, as Python's int()).
    public func mlpHidden(stage: Int) -> Int { Int(mlpRatio * Double(channels(stage: stage))) }

    /// Checks what this port implements; throws a sentence naming the field.
    func validate(file: String) throws {
        guard modelType == "swin" else {
            throw ModelError.unsupported(file: file, detail: "backbone '\(modelType)' is not supported; supported backbones: swin (tiny, small, base, large)")
        }
        guard depths.count == 4, numHeads.count == 4 else {
            throw ModelError.unsupported(file: file, detail: "backbone_config needs 4 stages (depths and num_heads of length 4), got depths \(depths)")
        }
        for s in 0..<4 where channels(stage: s) % numHeads[s] != 0 {
            throw ModelError.badConfig(file: file, detail: "backbone_config: stage \(s + 1) width \(channels(stage: s)) is not divisible by num_heads \(numHeads[s])")
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
        guard windowSize > 0, patchSize > 0 else {
            throw ModelError.badConfig(file: file, detail: "backbone_config: window_size and patch_size must be positive")
        }
    }
}
