// Port of transformers Mask2FormerConfig (configuration_mask2former.py): the fields inference reads.

import Foundation

public struct Mask2FormerConfig: Decodable, Sendable, Equatable {
    public var modelType: String
    public var backbone: SwinConfig
    public var featureSize: Int
    public var maskFeatureSize: Int
    public var hiddenDim: Int
    public var encoderFeedforwardDim: Int
    public var encoderLayers: Int
    /// Number of predictions: `decoderLayers − 1` decoder layers plus the one from the query features.
    public var decoderLayers: Int
    public var numAttentionHeads: Int
    public var dimFeedforward: Int
    public var activationFunction: String
    public var preNorm: Bool
    public var enforceInputProjection: Bool
    public var commonStride: Int
    public var featureStrides: [Int]
    public var numQueries: Int
    /// Class names by index; `K = labels.count` (the class head is K+1 wide, the last is "no object").
    public var labels: [String]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", backboneConfig = "backbone_config", featureSize = "feature_size"
        case maskFeatureSize = "mask_feature_size", hiddenDim = "hidden_dim", hiddenSize = "hidden_size"
        case encoderFeedforwardDim = "encoder_feedforward_dim", encoderLayers = "encoder_layers"
        case decoderLayers = "decoder_layers", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", dimFeedforward = "dim_feedforward"
        case activationFunction = "activation_function", preNorm = "pre_norm"
        case enforceInputProjection = "enforce_input_projection", commonStride = "common_stride"
        case featureStrides = "feature_strides", numQueries = "num_queries", id2label, numLabels = "num_labels"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? ""
        backbone = try c.decodeIfPresent(SwinConfig.self, forKey: .backboneConfig) ?? .mask2FormerDefault
        featureSize = try c.decodeIfPresent(Int.self, forKey: .featureSize) ?? 256
        maskFeatureSize = try c.decodeIfPresent(Int.self, forKey: .maskFeatureSize) ?? 256
        hiddenDim = try c.decodeIfPresent(Int.self, forKey: .hiddenDim)
            ?? c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 256
        encoderFeedforwardDim = try c.decodeIfPresent(Int.self, forKey: .encoderFeedforwardDim) ?? 1024
        encoderLayers = try c.decodeIfPresent(Int.self, forKey: .encoderLayers) ?? 6
        decoderLayers = try c.decodeIfPresent(Int.self, forKey: .decoderLayers)
            ?? c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 10
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 8
        dimFeedforward = try c.decodeIfPresent(Int.self, forKey: .dimFeedforward) ?? 2048
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "relu"
        preNorm = try c.decodeIfPresent(Bool.self, forKey: .preNorm) ?? false
        enforceInputProjection = try c.decodeIfPresent(Bool.self, forKey: .enforceInputProjection) ?? false
        commonStride = try c.decodeIfPresent(Int.self, forKey: .commonStride) ?? 4
        featureStrides = try c.decodeIfPresent([Int].self, forKey: .featureStrides) ?? [4, 8, 16, 32]
        numQueries = try c.decodeIfPresent(Int.self, forKey: .numQueries) ?? 100
        // K = len(id2label) when present (PreTrainedConfig.num_labels is a property over it).
        if let id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label), !id2label.isEmpty {
            var names = [String](repeating: "", count: id2label.count)
            for (key, name) in id2label {
                guard let index = Int(key), index >= 0, index < id2label.count else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .id2label, in: c, debugDescription: "id2label keys must be 0..<\(id2label.count), found '\(key)'")
                }
                names[index] = name
            }
            labels = names
        } else {
            let count = try c.decodeIfPresent(Int.self, forKey: .numLabels) ?? 2
            labels = (0..<count).map { "LABEL_\($0)" }
        }
    }

    /// Reads and validates a config.json.
    public static func load(path: String) throws -> Mask2FormerConfig {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelError.badConfig(file: path, detail: "cannot read the file")
        }
        let config: Mask2FormerConfig
        do {
            config = try JSONDecoder().decode(Mask2FormerConfig.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.badConfig(file: path, detail: describe(error))
        }
        try config.validate(file: path)
        return config
    }

    /// K, the number of real classes.
    public var numLabels: Int { labels.count }
    /// Number of masked-attention decoder layers (one fewer than predictions).
    public var transformerLayers: Int { decoderLayers - 1 }
    /// The decoder projects pixel-decoder features only when widths differ (or it is forced).
    public var hasDecoderInputProjection: Bool { featureSize != hiddenDim || enforceInputProjection }

    func validate(file: String) throws {
        guard modelType == "mask2former" else {
            throw ModelError.unsupported(
                file: file, detail: "model_type '\(modelType)' is not supported; supported: mask2former (Mask2FormerForUniversalSegmentation)")
        }
        try backbone.validate(file: file)
        guard featureSize % 32 == 0, featureSize > 0 else {
            throw ModelError.badConfig(file: file, detail: "feature_size \(featureSize) must be a positive multiple of 32 (GroupNorm with 32 groups)")
        }
        guard featureSize % numAttentionHeads == 0, hiddenDim % numAttentionHeads == 0 else {
            throw ModelError.badConfig(file: file, detail: "feature_size \(featureSize) and hidden_dim \(hiddenDim) must be divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard decoderLayers >= 1, encoderLayers >= 0, numQueries >= 1 else {
            throw ModelError.badConfig(file: file, detail: "decoder_layers, encoder_layers and num_queries must be positive")
        }
        guard activationFunction == "relu" || activationFunction == "gelu" else {
            throw ModelError.unsupported(file: file, detail: "activation_function '\(activationFunction)' is not supported; supported: relu, gelu")
        }
        guard featureStrides == [4, 8, 16, 32], commonStride == 4 else {
            throw ModelError.unsupported(file: file, detail: "feature_strides \(featureStrides) / common_stride \(commonStride) are not supported; supported: [4, 8, 16, 32] / 4")
        }
    }
}

/// A one-line account of a JSON decoding failure: which field, what was wrong.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        return keys.isEmpty ? "the top level" : "'" + keys.joined(separator: ".") + "'"
    }
    switch error {
    case .typeMismatch(_, let context): return "field \(path(context)) has the wrong type (\(context.debugDescription))"
    case .valueNotFound(_, let context): return "field \(path(context)) is null"
    case .keyNotFound(let key, let context): return "field '\(key.stringValue)' is missing under \(path(context))"
    case .dataCorrupted(let context): return "not valid JSON or a bad value at \(path(context)): \(context.debugDescription)"
    @unknown default: return "cannot decode"
    }
}
