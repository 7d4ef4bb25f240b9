// The backbone a Mask2Former config names in backbone_config.model_type: Swin or ResNet.

public enum BackboneConfig: Decodable, Sendable, Equatable {
    case swin(SwinConfig)
    case resnet(ResNetConfig)

    enum CodingKeys: String, CodingKey { case modelType = "model_type" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // SwinConfig keeps unknown types and refuses them in validate(), naming what is supported.
        if try c.text(.modelType, default: "swin") == "resnet" {
            self = .resnet(try ResNetConfig(from: decoder))
        } else {
            self = .swin(try SwinConfig(from: decoder))
        }
    }

    public var swin: SwinConfig? {
        if case .swin(let config) = self { return config }
        return nil
    }

    public var resnet: ResNetConfig? {
        if case .resnet(let config) = self { return config }
        return nil
    }

    /// Channels of feature map s (0-based; strides 4, 8, 16, 32).
    public func channels(stage: Int) -> Int {
        switch self {
        case .swin(let config): config.channels(stage: stage)
        case .resnet(let config): config.channels(stage: stage)
        }
    }

    /// One line for `inspect` and `predict --verbose`.
    public var summary: String {
        switch self {
        case .swin(let s):
            "Swin embed_dim \(s.embedDim), depths \(s.depths), heads \(s.numHeads), window \(s.windowSize), patch \(s.patchSize)"
        case .resnet(let r):
            "ResNet (\(r.layerType)) stem \(r.embeddingSize), widths \(r.hiddenSizes), depths \(r.depths), stride in \(r.downsampleInBottleneck ? "1×1" : "3×3")"
        }
    }

    func validate(file: String) throws {
        switch self {
        case .swin(let config): try config.validate(file: file)
        case .resnet(let config): try config.validate(file: file)
        }
    }
}
