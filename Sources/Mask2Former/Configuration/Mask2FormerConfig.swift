// Port of transformers Mask2FormerConfig (configuration_mask2former.py): the fields inference reads.

import Foundation

public struct Mask2FormerConfig: Decodable, Sendable, Equatable {
    public var modelType: String
    public var backbone: BackboneConfig
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

    /// What the reads accept: generous bounds around every published Mask2Former (widths 256, 6 encoder
    /// and 10 decoder layers, 100 or 200 queries, 19 to 847 labels), small enough that no size product
    /// derived from them can overflow. Memory is checked separately, against the input size.
    public enum Limits {
        public static let width = 1...4096
        public static let feedforward = 1...65536
        public static let encoderLayers = 0...100
        public static let decoderLayers = 1...100
        public static let heads = 1...256
        public static let queries = 1...4096
        /// Label ids must fit a 16-bit label PNG.
        public static let labels = 1...65535
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.text(.modelType, default: "")
        // Another model's fields mean other things: leave them unread so validate() says "not supported".
        guard modelType == "mask2former" else {
            self = try JSONDecoder().decode(Mask2FormerConfig.self, from: Data(#"{"model_type": "mask2former"}"#.utf8))
            self.modelType = modelType
            return
        }
        self.modelType = modelType
        backbone = try c.decodeIfPresent(BackboneConfig.self, forKey: .backboneConfig) ?? .swin(.mask2FormerDefault)
        let groupWidth = "a multiple of 32 (GroupNorm with 32 groups) from 32 to \(Limits.width.upperBound)"
        featureSize = try c.integer(.featureSize, default: 256, in: Limits.width, allowed: groupWidth)
        guard featureSize % 32 == 0 else {
            throw ConfigFieldError(field: c.fieldPath(.featureSize), value: String(featureSize), allowed: groupWidth)
        }
        maskFeatureSize = try c.integer(.maskFeatureSize, default: 256, in: Limits.width)
        // The sine position code gives half the channels to y and half to x.
        let evenWidth = "an even integer (half the sine position code per axis) from 2 to \(Limits.width.upperBound)"
        hiddenDim = try c.integer([.hiddenDim, .hiddenSize], default: 256, in: 2...Limits.width.upperBound, allowed: evenWidth)
        guard hiddenDim % 2 == 0 else {
            throw ConfigFieldError(field: c.fieldPath(c.contains(.hiddenDim) ? .hiddenDim : .hiddenSize), value: String(hiddenDim), allowed: evenWidth)
        }
        encoderFeedforwardDim = try c.integer(.encoderFeedforwardDim, default: 1024, in: Limits.feedforward)
        encoderLayers = try c.integer(.encoderLayers, default: 6, in: Limits.encoderLayers)
        decoderLayers = try c.integer([.decoderLayers, .numHiddenLayers], default: 10, in: Limits.decoderLayers)
        let headsAllowed = "a positive divisor of hidden_dim (\(hiddenDim)) and feature_size (\(featureSize))"
        numAttentionHeads = try c.integer(.numAttentionHeads, default: 8, in: Limits.heads, allowed: headsAllowed)
        guard hiddenDim % numAttentionHeads == 0, featureSize % numAttentionHeads == 0 else {
            throw ConfigFieldError(field: c.fieldPath(.numAttentionHeads), value: String(numAttentionHeads), allowed: headsAllowed)
        }
        dimFeedforward = try c.integer(.dimFeedforward, default: 2048, in: Limits.feedforward)
        activationFunction = try c.text(.activationFunction, default: "relu")
        preNorm = try c.flag(.preNorm, default: false)
        enforceInputProjection = try c.flag(.enforceInputProjection, default: false)
        commonStride = try c.integer(.commonStride, default: 4, in: 1...1024)
        featureStrides = try c.integers(.featureStrides, default: [4, 8, 16, 32], count: 4, in: 1...1024)
        numQueries = try c.integer(.numQueries, default: 100, in: Limits.queries)
        // Checked even when id2label decides K, so a hostile value never passes silently.
        let numLabels = try c.integer(.numLabels, default: 2, in: Limits.labels)
        // K = len(id2label) when present (PreTrainedConfig.num_labels is a property over it).
        if let value = try c.raw(.id2label), value != .object([:]) {
            guard case .object(let id2label) = value, Limits.labels.contains(id2label.count) else {
                throw ConfigFieldError(field: "id2label", value: value.description,
                                       allowed: "an object of up to \(Limits.labels.upperBound) \"index\": \"name\" pairs")
            }
            var names = [String?](repeating: nil, count: id2label.count)
            for (key, name) in id2label {
                guard let index = Int(key), index >= 0, index < id2label.count, names[index] == nil else {
                    throw ConfigFieldError(field: "id2label", value: "an object with key \"\(key)\"",
                                           allowed: "keyed by every index 0 to \(id2label.count - 1) once")
                }
                guard case .string(let text) = name else {
                    throw ConfigFieldError(field: "id2label.\(key)", value: name.description, allowed: "a class name (a string)")
                }
                names[index] = text
            }
            labels = names.map { $0 ?? "" }
        } else {
            labels = (0..<numLabels).map { "LABEL_\($0)" }
        }
    }

    /// Reads and validates a config.json.
    public static func load(path: String) throws -> Mask2FormerConfig {
        let data = try configFileBytes(path: path)
        let config: Mask2FormerConfig
        do {
            config = try JSONDecoder().decode(Mask2FormerConfig.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.badConfig(file: path, detail: describe(error))
        } catch let error as ConfigFieldError {
            throw ModelError.badConfig(file: path, detail: error.description)
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
