// Validation at the door: every published Mask2Former config passes, and each class of hostile value
// (zero, negative, fractional, huge, wrong type, NaN-like) in config.json or preprocessor_config.json
// is refused with the file, the field, the value and what is allowed.

import Foundation
@testable import Mask2Former
import TestSupport
import Testing

/// A config.json shaped like the published facebook/mask2former-swin-* ones (fields as transformers writes them).
func publishedConfig(embed: Int, depths: [Int], heads: [Int], window: Int, queries: Int, labels: Int) -> [String: Any] {
    [
        "model_type": "mask2former", "architectures": ["Mask2FormerForUniversalSegmentation"],
        "backbone_config": [
            "model_type": "swin", "embed_dim": embed, "depths": depths, "num_heads": heads, "window_size": window,
            "patch_size": 4, "num_channels": 3, "mlp_ratio": 4.0, "qkv_bias": true, "hidden_act": "gelu",
            "layer_norm_eps": 1e-05, "use_absolute_embeddings": false, "drop_path_rate": 0.3, "image_size": 384,
            "hidden_size": embed * 8, "out_features": ["stage1", "stage2", "stage3", "stage4"], "out_indices": [1, 2, 3, 4],
        ] as [String: Any],
        "feature_size": 256, "mask_feature_size": 256, "hidden_dim": 256, "encoder_feedforward_dim": 1024,
        "encoder_layers": 6, "decoder_layers": 10, "num_hidden_layers": 10, "num_attention_heads": 8, "dim_feedforward": 2048,
        "activation_function": "relu", "pre_norm": false, "enforce_input_projection": false, "common_stride": 4,
        "feature_strides": [4, 8, 16, 32], "num_queries": queries, "dropout": 0.0, "init_std": 0.02,
        "id2label": Dictionary(uniqueKeysWithValues: (0..<labels).map { ("\($0)", "class \($0)") }),
    ]
}

/// Writes `object` as `name` in a fresh temporary folder and returns the path.
func writeJSON(_ object: Any, name: String) throws -> String {
    let folder = NSTemporaryDirectory() + "maskscope-config-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    return path
}

/// The error message loading `text` as `name` gives, or nil when it loads.
func configError(_ text: String, name: String = "config.json") throws -> String? {
    let folder = NSTemporaryDirectory() + "maskscope-config-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return loadingError {
        if name == "config.json" { _ = try Mask2FormerConfig.load(path: path) } else { _ = try ImageProcessorConfig.load(path: path) }
    }
}

/// The fixture's config.json text with `edit` applied to its JSON object.
func tinyConfig(_ edit: (inout [String: Any]) -> Void) throws -> String {
    var object = try #require(try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: fixturePath("models/tiny-w7/config.json")))) as? [String: Any])
    edit(&object)
    return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

func backbone(_ object: inout [String: Any], _ key: String, _ value: Any) {
    var swin = object["backbone_config"] as? [String: Any] ?? [:]
    swin[key] = value
    object["backbone_config"] = swin
}

@Suite("Config validation")
struct ConfigValidationTests {
    @Test("every published Mask2Former config loads", arguments: [
        // (embed, depths, heads, window, queries, labels): Swin T/S/B/L, COCO panoptic/instance, ADE20K, Cityscapes, Mapillary.
        (96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 100, 133),
        (96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 100, 80),
        (128, [2, 2, 18, 2], [4, 8, 16, 32], 12, 100, 150),
        (192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 200, 133),
        (192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 200, 847),
        (192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 100, 19),
        (192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 100, 65),
    ])
    func published(_ embed: Int, _ depths: [Int], _ heads: [Int], _ window: Int, _ queries: Int, _ labels: Int) throws {
        let path = try writeJSON(publishedConfig(embed: embed, depths: depths, heads: heads, window: window, queries: queries, labels: labels),
                                 name: "config.json")
        let config = try Mask2FormerConfig.load(path: path)
        #expect(config.backbone.swin?.embedDim == embed && config.numQueries == queries && config.numLabels == labels)
        // The largest input a published processor makes (800 × 1333, ×32) fits an ordinary machine.
        let estimate = try MemoryEstimate.forward(config: config, height: 800, width: 1344, fileWeightBytes: 900 << 20)
        #expect(estimate.totalBytes < 12 << 30, "\(formatBytes(estimate.totalBytes))")
    }

    @Test("published preprocessor configs load", arguments: [
        #"{"size": 384, "size_divisor": 32, "do_resize": true, "resample": 2, "rescale_factor": 0.00392156862745098, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225], "ignore_index": 255}"#,
        #"{"size": {"shortest_edge": 800, "longest_edge": 1333}, "size_divisor": 32}"#,
        #"{"size": {"shortest_edge": 1024, "longest_edge": 2048}, "size_divisor": 32}"#,
        #"{"size": {"height": 384, "width": 384}, "size_divisor": 0, "image_mean": 0.5, "image_std": 0.5}"#,
        #"{"size": 2048, "max_size": 4096, "do_normalize": null}"#,
    ])
    func publishedProcessors(_ text: String) throws {
        #expect(try configError(text, name: "preprocessor_config.json") == nil)
    }

    // Each case: a field of the tiny fixture's config.json (dotted into backbone_config), the JSON value
    // written there, and what the message must contain.
    @Test("hostile config.json values are refused with field, value and what is allowed", arguments: [
        ("num_attention_heads", "0", "num_attention_heads is 0; must be a positive divisor of hidden_dim (32) and feature_size (32)"),
        ("num_attention_heads", "3", "num_attention_heads is 3; must be a positive divisor"),
        ("backbone_config.num_heads", "[1, 0, 4, 8]", "backbone_config.num_heads[1] is 0; must be a positive divisor of its stage's width"),
        ("backbone_config.num_heads", "[1, 2, 5, 8]", "backbone_config.num_heads[2] is 5; must be a divisor of stage 3's width 64"),
        ("backbone_config.depths", "[2, -2, 2, 2]", "backbone_config.depths[1] is -2; must be an integer from 1 to 64"),
        ("backbone_config.depths", "[2, 2, 1e9, 2]", "backbone_config.depths[2] is 1000000000; must be"),
        ("backbone_config.depths", "[2, 2, 2]", "backbone_config.depths is a list of 3; must be a list of 4"),
        ("num_labels", "-3", "num_labels is -3; must be an integer from 1 to 65535"),
        ("num_labels", "1e10", "num_labels is 10000000000"),
        ("backbone_config.mlp_ratio", "1e300", "backbone_config.mlp_ratio is 1e+300; must be a number above 0 and at most 16"),
        ("backbone_config.mlp_ratio", "0.01", "backbone_config.mlp_ratio is 0.01; must be large enough"),
        ("decoder_layers", "1e9", "decoder_layers is 1000000000; must be an integer from 1 to 100"),
        ("encoder_layers", "1e9", "encoder_layers is 1000000000; must be an integer from 0 to 100"),
        ("decoder_layers", "0", "decoder_layers is 0"),
        ("num_queries", "12.5", "num_queries is 12.5; must be an integer"),
        ("hidden_dim", #""32""#, #"hidden_dim is "32" (a string); must be an even integer"#),
        ("hidden_dim", "33", "hidden_dim is 33; must be an even integer"),
        ("feature_size", "48", "feature_size is 48; must be a multiple of 32"),
        ("pre_norm", "1", "pre_norm is 1; must be true or false"),
        ("backbone_config.window_size", "1e6", "backbone_config.window_size is 1000000; must be an integer from 1 to 32"),
        ("backbone_config.embed_dim", "0", "backbone_config.embed_dim is 0"),
        ("backbone_config.layer_norm_eps", "0", "backbone_config.layer_norm_eps is 0; must be a number from 1e-12 to 1"),
        ("backbone_config.patch_size", "8", "backbone_config.patch_size is 8; must be 4"),
        ("dim_feedforward", "1e9", "dim_feedforward is 1000000000; must be an integer from 1 to 65536"),
        ("id2label", #"{"0": 5}"#, "id2label.0 is 5; must be a class name"),
        ("id2label", #"{"0": "a", "2": "b"}"#, #"id2label is an object with key "2"; must be keyed by every index 0 to 1 once"#),
    ])
    func hostileConfig(_ field: String, _ json: String, _ expected: String) throws {
        let text = try tinyConfig { object in
            let value = (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)) ?? NSNull()
            if field.hasPrefix("backbone_config.") {
                backbone(&object, String(field.dropFirst("backbone_config.".count)), value)
            } else {
                object[field] = value
            }
        }
        let message = try #require(try configError(text), "\(field) = \(json) was accepted")
        #expect(message.contains("config.json: " + expected), "\(field) = \(json): \(message)")
    }

    @Test("num_labels is checked whether or not id2label is there")
    func numLabelsWithoutNames() throws {
        let text = try tinyConfig { object in object["id2label"] = nil; object["num_labels"] = -3 }
        let message = try #require(try configError(text))
        #expect(message.contains("config.json: num_labels is -3"), "\(message)")
        let plain = try tinyConfig { object in object["id2label"] = nil; object["num_labels"] = 5 }
        #expect(try configError(plain) == nil)
    }

    @Test("hostile preprocessor_config.json values are refused with field, value and what is allowed", arguments: [
        (#"{"size": 1e6}"#, "size is 1000000; must be an integer from 1 to 16384"),
        (#"{"size": {"shortest_edge": 1e6, "longest_edge": 2e6}}"#, "size.shortest_edge is 1000000; must be an integer from 1 to 16384"),
        (#"{"size": {"shortest_edge": 0, "longest_edge": 100}}"#, "size.shortest_edge is 0"),
        (#"{"size": -5}"#, "size is -5"),
        (#"{"size": {"height": 0, "width": 64}}"#, "size.height is 0"),
        (#"{"size": {"shortest_edge": 500, "longest_edge": 400}}"#, "size.longest_edge is 400; must be an integer from 501"),
        (#"{"size": "big"}"#, #"size is "big" (a string)"#),
        (#"{"size_divisor": 1e5}"#, "size_divisor is 100000; must be 0 (off) or a side multiple from 1 to 1024"),
        (#"{"size_divisor": 1e9}"#, "size_divisor is 1000000000"),
        (#"{"size_divisor": -32}"#, "size_divisor is -32"),
        (#"{"rescale_factor": "x"}"#, #"rescale_factor is "x" (a string); must be a number above 0"#),
        (#"{"rescale_factor": 0}"#, "rescale_factor is 0; must be a number above 0"),
        (#"{"rescale_factor": -0.5}"#, "rescale_factor is -0.5"),
        (#"{"image_std": [0.229, 1e-45, 0.225]}"#, "image_std[1] is 1e-45; must be 3 numbers from 1e-06"),
        (#"{"image_std": [0.229, 0, 0.225]}"#, "image_std[1] is 0"),
        (#"{"image_std": 1e-45}"#, "image_std is 1e-45"),
        (#"{"image_std": [0.2, 0.2, 1e400]}"#, "not valid JSON or a bad value at 'image_std': a number too large"),
        (#"{"image_mean": [0.5, "x", 0.5]}"#, #"image_mean[1] is "x" (a string)"#),
        (#"{"image_mean": [0.5, 1e300, 0.5]}"#, "image_mean[1] is 1e+300; must be 3 finite numbers"),
        (#"{"do_resize": "yes"}"#, #"do_resize is "yes" (a string); must be true or false"#),
        (#"{"max_size": 1e12}"#, "max_size is 1000000000000"),
    ])
    func hostileProcessor(_ text: String, _ expected: String) throws {
        let message = try #require(try configError(text, name: "preprocessor_config.json"), "\(text) was accepted")
        #expect(message.contains("preprocessor_config.json: " + expected), "\(text): \(message)")
    }

    @Test("NaN is not JSON, so a NaN anywhere is a parse error naming the file")
    func nanIsNotJSON() throws {
        let message = try #require(try configError(#"{"image_std": [NaN, 0.2, 0.2]}"#, name: "preprocessor_config.json"))
        #expect(message.contains("preprocessor_config.json: not valid JSON"), "\(message)")
    }

    @Test("a config that is a FIFO is refused, not waited on; an oversized one is refused before parsing")
    func notARegularFile() throws {
        let folder = NSTemporaryDirectory() + "maskscope-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/config.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let message = try #require(loadingError { _ = try Mask2FormerConfig.load(path: fifo) })
        #expect(message.contains(fifo), "\(message)")
        let large = folder + "/preprocessor_config.json"
        try Data(count: (16 << 20) + 1).write(to: URL(fileURLWithPath: large))
        let tooLarge = try #require(loadingError { _ = try ImageProcessorConfig.load(path: large) })
        #expect(tooLarge.contains("preprocessor_config.json: 16777217 bytes is too large for a config file"), "\(tooLarge)")
    }
}
