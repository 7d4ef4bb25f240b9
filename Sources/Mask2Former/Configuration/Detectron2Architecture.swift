// A detectron2 Mask2Former checkpoint carries no config: the architecture is read off its tensor shapes
// (backbone kind and size, Swin heads per stage from the relative-position tables and the window from
// their size, ResNet depth from the block counts, queries, classes, layers, widths). The result is
// written as the config.json transformers' conversion would give and read through the same validated
// decoder as any config.json. What shapes cannot tell is taken from Mask2Former's published configs
// and listed in `assumptions`.

import Foundation
import TorchCheckpoint

/// The dataset a class count stands for: a name and the labels in detectron2's contiguous order.
public struct Detectron2Dataset: Sendable, Equatable {
    public var name: String
    public var labels: [String]
    public init(name: String, labels: [String]) { self.name = name; self.labels = labels }
}

/// Labels for K classes (the shipped catalogues live in Segmentation, which this module must not import).
public typealias Detectron2LabelCatalog = @Sendable (_ classCount: Int) throws -> Detectron2Dataset?

public struct Detectron2Architecture: Sendable, Equatable {
    public var config: Mask2FormerConfig
    /// "Swin-T", "Swin-L", "ResNet-50", … or a description when it is no published size.
    public var backboneName: String
    public var dataset: Detectron2Dataset?
    public var preprocessing: Detectron2Preprocessing
    /// Settings the shapes do not determine, taken from Mask2Former's configs.
    public var assumptions: [String]
    /// The config given with `--detectron2-config`, if any (its thresholds and outputs, for `inspect`).
    public var detectron2Config: Detectron2ConfigFile?

    /// `shapes`: detectron2 name → shape. `path` names the file in errors.
    public init(shapes: [String: [Int]], path: String, catalog: Detectron2LabelCatalog? = nil) throws {
        func shape(_ name: String, rank: Int) throws -> [Int] {
            guard let shape = shapes[name] else {
                throw ModelError.unsupported(file: path, detail: "tensor '\(name)' is missing, so the architecture cannot be told from the shapes; is this a Mask2Former detectron2 checkpoint?")
            }
            guard shape.count == rank, shape.allSatisfy({ $0 > 0 }) else {
                throw ModelError.unsupported(file: path, detail: "tensor '\(name)' has shape \(shape); expected \(rank) positive sizes")
            }
            return shape
        }
        /// How many of `prefix0suffix`, `prefix1suffix`, … exist in a row.
        func count(_ prefix: String, _ suffix: String) -> Int {
            var n = 0
            while n < shapes.count, shapes[prefix + String(n) + suffix] != nil { n += 1 }
            return n
        }
        var assumptions: [String] = []
        var backbone: [String: Any]
        var backboneName: String
        if shapes["backbone.patch_embed.proj.weight"] != nil {
            (backbone, backboneName) = try Self.swin(shape: shape, count: count, has: { shapes[$0] != nil }, path: path)
        } else if shapes["backbone.stem.conv1.weight"] != nil {
            (backbone, backboneName) = try Self.resnet(shape: shape, count: count, has: { shapes[$0] != nil }, path: path)
            assumptions.append("ResNet stride in the 3×3 conv (STRIDE_IN_1X1: False, as Mask2Former's R50/R101 configs set it)")
        } else {
            throw ModelError.unsupported(file: path, detail: "no 'backbone.patch_embed.proj.weight' (Swin) or 'backbone.stem.conv1.weight' (ResNet); supported detectron2 backbones: D2SwinTransformer, ResNet")
        }

        let pixel = "sem_seg_head.pixel_decoder."
        let featureSize = try shape(pixel + "input_proj.0.0.weight", rank: 4)[0]
        let maskFeatureSize = try shape(pixel + "mask_features.weight", rank: 4)[0]
        let encoderLayers = count(pixel + "transformer.encoder.layers.", ".linear1.weight")
        let encoderFeedforward = try shape(pixel + "transformer.encoder.layers.0.linear1.weight", rank: 2)[0]
        // attention_weights has heads × 3 levels × 4 points rows (MSDeformAttn's fixed levels and points).
        let deformableRows = try shape(pixel + "transformer.encoder.layers.0.self_attn.attention_weights.weight", rank: 2)[0]
        guard deformableRows % 12 == 0 else {
            throw ModelError.unsupported(file: path, detail: "'\(pixel)transformer.encoder.layers.0.self_attn.attention_weights.weight' has \(deformableRows) rows, not heads × 3 levels × 4 points")
        }
        let heads = deformableRows / 12

        let predictor = "sem_seg_head.predictor."
        let queries = try shape(predictor + "query_feat.weight", rank: 2)
        let classes = try shape(predictor + "class_embed.weight", rank: 2)[0] - 1
        guard classes >= 1 else { throw ModelError.unsupported(file: path, detail: "'\(predictor)class_embed.weight' has no class rows besides \"no object\"") }
        let decoderLayers = count(predictor + "transformer_self_attention_layers.", ".norm.weight") + 1
        let feedforward = try shape(predictor + "transformer_ffn_layers.0.linear1.weight", rank: 2)[0]
        assumptions.append("decoder heads = pixel-decoder heads = \(heads) (MASK_FORMER.NHEADS is not in the shapes), post-norm (PRE_NORM: False)")

        let dataset = try catalog?(classes)
        let labels = dataset?.labels ?? (0..<classes).map { "LABEL_\($0)" }
        var json: [String: Any] = [
            "model_type": "mask2former", "backbone_config": backbone,
            "feature_size": featureSize, "mask_feature_size": maskFeatureSize, "hidden_dim": queries[1],
            "encoder_feedforward_dim": encoderFeedforward, "encoder_layers": encoderLayers,
            "decoder_layers": decoderLayers, "num_attention_heads": heads, "dim_feedforward": feedforward,
            "num_queries": queries[0], "num_labels": classes,
            "id2label": Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), $0.element) }),
        ]
        // detectron2 keeps the decoder's input projections whenever they are convolutions.
        if shapes[predictor + "input_proj.0.weight"] != nil { json["enforce_input_projection"] = true }
        do {
            let data = try JSONSerialization.data(withJSONObject: json)
            config = try JSONDecoder().decode(Mask2FormerConfig.self, from: data)
        } catch let error as ConfigFieldError {
            throw ModelError.unsupported(file: path, detail: "the architecture read from the shapes is outside what maskscope runs: \(error.description)")
        } catch let error as DecodingError {
            throw ModelError.unsupported(file: path, detail: "the architecture read from the shapes: \(describe(error))")
        }
        try config.validate(file: path)
        self.backboneName = backboneName
        self.dataset = dataset
        self.assumptions = assumptions
        preprocessing = Detectron2Preprocessing(dataset: dataset?.name)
    }

    /// D2SwinTransformer: embed dim and patch from the patch embedding, depths from the block count,
    /// heads from each stage's relative-position table [(2w−1)², heads] and the window w from its rows.
    static func swin(shape: (String, Int) throws -> [Int], count: (String, String) -> Int, has: (String) -> Bool,
                     path: String) throws -> ([String: Any], String) {
        if has("backbone.absolute_pos_embed") {
            throw ModelError.unsupported(file: path, detail: "the Swin backbone has an absolute position embedding (APE), which Mask2Former's configs never enable and maskscope does not run")
        }
        let projection = try shape("backbone.patch_embed.proj.weight", 4)
        let (embedDim, patch) = (projection[0], projection[2])
        let stages = count("backbone.layers.", ".blocks.0.norm1.weight")
        guard stages == 4 else { throw ModelError.unsupported(file: path, detail: "the Swin backbone has \(stages) stages; Mask2Former needs 4") }
        var depths: [Int] = [], heads: [Int] = [], window = 0
        for s in 0..<stages {
            depths.append(count("backbone.layers.\(s).blocks.", ".norm1.weight"))
            let table = try shape("backbone.layers.\(s).blocks.0.attn.relative_position_bias_table", 2)
            let side = Int(Double(table[0]).squareRoot().rounded())
            guard side * side == table[0], side % 2 == 1, window == 0 || window == (side + 1) / 2 else {
                throw ModelError.unsupported(file: path, detail: "'backbone.layers.\(s).blocks.0.attn.relative_position_bias_table' has \(table[0]) rows, not (2·window − 1)² for the window of the other stages")
            }
            window = (side + 1) / 2
            heads.append(table[1])
        }
        let hidden = try shape("backbone.layers.0.blocks.0.mlp.fc1.weight", 2)[0]
        let sizes: [Int: String] = [96: depths[2] == 6 ? "T" : "S", 128: "B", 192: "L"]
        let name = sizes[embedDim].map { "Swin-\($0)" } ?? "Swin (embed dim \(embedDim))"
        return ([
            "model_type": "swin", "embed_dim": embedDim, "depths": depths, "num_heads": heads, "window_size": window,
            "patch_size": patch, "mlp_ratio": Double(hidden) / Double(embedDim),
            "qkv_bias": has("backbone.layers.0.blocks.0.attn.qkv.bias"),
            "out_features": ["stage1", "stage2", "stage3", "stage4"],
        ], name)
    }

    /// detectron2's ResNet: stem width from conv1, blocks per stage res2…res5 (depth 50 = [3, 4, 6, 3],
    /// 101 = [3, 4, 23, 3]), bottleneck when blocks have a conv3, stage widths from the last conv's outputs.
    static func resnet(shape: (String, Int) throws -> [Int], count: (String, String) -> Int, has: (String) -> Bool,
                       path: String) throws -> ([String: Any], String) {
        let stem = try shape("backbone.stem.conv1.weight", 4)
        let bottleneck = has("backbone.res2.0.conv3.weight")
        let last = bottleneck ? "conv3" : "conv2"
        var depths: [Int] = [], widths: [Int] = []
        for stage in 2...5 {
            depths.append(count("backbone.res\(stage).", ".conv1.weight"))
            widths.append(try shape("backbone.res\(stage).0.\(last).weight", 4)[0])
        }
        let layers = depths.reduce(0, +) * (bottleneck ? 3 : 2) + 2
        return ([
            "model_type": "resnet", "embedding_size": stem[0], "hidden_sizes": widths, "depths": depths,
            "layer_type": bottleneck ? "bottleneck" : "basic", "hidden_act": "relu",
            "downsample_in_first_stage": false, "downsample_in_bottleneck": false,
            "out_features": ["stage1", "stage2", "stage3", "stage4"],
        ], "ResNet-\(layers)")
    }
}

extension Detectron2Architecture {
    /// Takes the test-time settings of the checkpoint's detectron2 config (`--detectron2-config`) in
    /// place of the dataset defaults, after checking it describes this checkpoint (queries, classes).
    public mutating func apply(_ file: Detectron2ConfigFile, checkpoint: String) throws {
        let name = file.files.first ?? "the detectron2 config"
        if file.numObjectQueries != config.numQueries {
            throw ModelError.unsupported(
                file: name, detail: "MODEL.MASK_FORMER.NUM_OBJECT_QUERIES is \(file.numObjectQueries) but \(checkpoint) has \(config.numQueries) queries; is it this checkpoint's config?")
        }
        if let classes = file.numClasses, classes != config.numLabels {
            throw ModelError.unsupported(
                file: name, detail: "MODEL.SEM_SEG_HEAD.NUM_CLASSES is \(classes) but \(checkpoint) has \(config.numLabels) classes; is it this checkpoint's config?")
        }
        preprocessing.shortestEdge = file.minSizeTest
        preprocessing.longestEdge = file.maxSizeTest
        preprocessing.pixelMean = file.pixelMean
        preprocessing.pixelStd = file.pixelStd
        preprocessing.sizeDivisibility = file.sizeDivisibility
        preprocessing.source = "--detectron2-config \(name)" + (file.files.count > 1 ? " (with _BASE_ \(file.files.dropFirst().joined(separator: ", ")))" : "")
        detectron2Config = file
    }
}
