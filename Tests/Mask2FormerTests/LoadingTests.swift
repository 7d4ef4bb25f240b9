// Loading checkpoints people have: both key spellings, narrow dtypes, the HF cache, and every way
// a checkpoint can be wrong, each with a message that names what is wrong.

import FileIO
import Foundation
import Mask2Former
import Safetensors
import TensorCore
import TestSupport
import Testing

/// A scratch folder holding a copy of a fixture model whose files a test may then break.
struct ScratchModel {
    let folder: String

    init(copying model: String = "tiny-w7") throws {
        folder = NSTemporaryDirectory() + "maskscope-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["config.json", "preprocessor_config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: fixturePath("models/\(model)/\(file)"), toPath: folder + "/" + file)
        }
    }

    var weightsPath: String { folder + "/model.safetensors" }
    var configPath: String { folder + "/config.json" }
    var location: CheckpointLocation { CheckpointLocation(name: folder, folder: folder) }

    func load() throws -> Mask2FormerModel { try Mask2FormerModel(location: location) }

    /// Rewrites the weights through `transform`, which may rename, drop, reshape or narrow tensors.
    func rewriteWeights(_ transform: (String, Tensor, inout SafetensorsWriter) -> Void) throws {
        let original = try SafetensorsFile(path: weightsPath)
        var writer = SafetensorsWriter()
        for name in original.names {
            guard let tensor = try? original.floatTensor(name) else { continue }
            transform(name, tensor, &writer)
        }
        try writer.write(to: weightsPath, overwrite: .replace)
    }

    func editConfig(_ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: configPath))
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// The first reference case's input and final logits, to check a reloaded model still computes the same.
func referenceInputAndLogits() throws -> (Tensor, Tensor) {
    let reference = try SafetensorsFile(path: fixturePath("reference/tiny-w7-scene-120x90.safetensors"))
    return (try reference.floatTensor("pixel_values"), try reference.floatTensor("mask_logits.9"))
}

func loadingError(_ body: () throws -> Void) -> String? {
    do { try body() } catch { return String(describing: error) }
    return nil
}

@Suite("Loading checkpoints")
struct LoadingTests {
    @Test("transformers 5.x key names load and compute the same as 4.x names")
    func fiveXNames() throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        try FileManager.default.removeItem(atPath: scratch.weightsPath)
        try FileManager.default.copyItem(atPath: fixturePath("models/tiny-w7/model-5x-names.safetensors"), toPath: scratch.weightsPath)
        let model = try scratch.load()
        #expect(model.parameters.contains { $0.fileName.contains(".swin.") && $0.fileName.contains("q_proj") })
        let (pixels, expected) = try referenceInputAndLogits()
        expectClose(model.forward(pixels).final.maskLogits, expected, stage: "5.x names, final mask logits")
    }

    @Test("F16 and BF16 checkpoints load (upcast to f32) and compute what f32 weights compute", arguments: [DType.f16, DType.bf16])
    func narrowWeights(_ dtype: DType) throws {
        let narrow = try ScratchModel(), rounded = try ScratchModel(), original = try ScratchModel()
        defer { narrow.remove(); rounded.remove(); original.remove() }
        func round(_ x: Float) -> Float { dtype == .f16 ? floatFromHalf(halfFromFloat(x)) : floatFromBFloat16(bfloat16FromFloat(x)) }
        try narrow.rewriteWeights { name, tensor, writer in writer.add(name, tensor, as: dtype) }
        // The same rounded values stored as F32: upcasting is exact, so the loaded weights are equal.
        try rounded.rewriteWeights { name, tensor, writer in writer.add(name, Tensor(shape: tensor.shape, scalars: tensor.scalars.map(round))) }
        let model = try narrow.load()
        #expect(model.parameters.allSatisfy { $0.dtype == dtype.rawValue })
        let (pixels, _) = try referenceInputAndLogits()
        let logits = model.forward(pixels).final.maskLogits
        // Equal weights, equal kernels: anything beyond f32 summation-order noise is a wrong upcast.
        expectClose(logits, try rounded.load().forward(pixels).final.maskLogits, stage: "\(dtype.rawValue) vs the same values in F32", tolerance: 1e-6)
        // Against the unrounded F32 model: weights move by up to 2^-11 (F16) or 2^-8 (BF16) of
        // themselves, and a few masked-attention decisions (sigmoid < 0.5) flip with them, so the
        // final mask logits move by 1.3% (F16) and 1.9% (BF16) of their largest magnitude (measured
        // on this fixture). 5% leaves a margin of 2.5×; a wrong upcast (byte order, exponent bias,
        // F16 read as BF16) moves them by far more than that or to NaN.
        let bound: Float = 0.05
        let result = expectClose(logits, try original.load().forward(pixels).final.maskLogits, stage: "\(dtype.rawValue) vs F32", tolerance: bound)
        print("\(dtype.rawValue) vs F32 final mask logits: \(result.map(String.init(describing:)) ?? "shape differs")")
    }

    @Test("a missing tensor is named with its expected shape")
    func missingTensor() throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        let dropped = "model.transformer_module.queries_features.weight"
        try scratch.rewriteWeights { name, tensor, writer in if name != dropped { writer.add(name, tensor) } }
        let message = try #require(loadingError { _ = try scratch.load() })
        #expect(message.contains("'\(dropped)'") && message.contains("[12, 32]") && message.contains("missing"), "\(message)")
    }

    @Test("a wrong shape names the tensor and both shapes")
    func wrongShape() throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        let target = "model.transformer_module.queries_features.weight"
        try scratch.rewriteWeights { name, tensor, writer in
            writer.add(name, name == target ? Tensor(zeros: [20, 32]) : tensor)
        }
        let message = try #require(loadingError { _ = try scratch.load() })
        #expect(message.contains("'\(target)' has shape [20, 32], config expects [12, 32]"), "\(message)")
    }

    @Test("tensors the config does not use are reported")
    func unexpectedTensor() throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        try scratch.rewriteWeights { name, tensor, writer in
            writer.add(name, tensor)
            if name == "class_predictor.bias" { writer.add("model.transformer_module.decoder.layers.9.fc1.bias", tensor) }
        }
        let message = try #require(loadingError { _ = try scratch.load() })
        #expect(message.contains("decoder.layers.9.fc1.bias") && message.contains("does not use"), "\(message)")
    }

    @Test("a truncated weights file says so")
    func truncated() throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.weightsPath))
        try bytes.prefix(bytes.count - 1000).write(to: URL(fileURLWithPath: scratch.weightsPath))
        let message = try #require(loadingError { _ = try scratch.load() })
        #expect(message.contains("truncated") && message.contains("model.safetensors"), "\(message)")
    }

    @Test("unsupported model and backbone types list what is supported")
    func unsupportedTypes() throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        try scratch.editConfig { $0["model_type"] = "maskformer" }
        let model = try #require(loadingError { _ = try scratch.load() })
        #expect(model.contains("'maskformer' is not supported") && model.contains("supported: mask2former"), "\(model)")

        func setBackbone(_ fields: [String: Any]) throws {
            try scratch.editConfig { object in
                object["model_type"] = "mask2former"
                var backbone = object["backbone_config"] as? [String: Any] ?? [:]
                for (key, value) in fields { backbone[key] = value }
                object["backbone_config"] = backbone
            }
        }
        try setBackbone(["model_type": "convnext"])
        let backbone = try #require(loadingError { _ = try scratch.load() })
        #expect(backbone.contains("backbone 'convnext' is not supported") && backbone.contains("swin") && backbone.contains("resnet"), "\(backbone)")

        // The Swin config's hidden_act (gelu) is refused for ResNet, whose layers are ReLU.
        try setBackbone(["model_type": "resnet"])
        let act = try #require(loadingError { _ = try scratch.load() })
        #expect(act.contains("backbone_config.hidden_act 'gelu' is not supported; supported: relu"), "\(act)")
        // Otherwise ResNetConfig's defaults apply; over Swin weights the first ResNet tensor is missing.
        try setBackbone(["hidden_act": "relu"])
        let missing = try #require(loadingError { _ = try scratch.load() })
        #expect(missing.contains("model.pixel_level_module.encoder.embedder.embedder.convolution.weight"), "\(missing)")
        try setBackbone(["layer_type": "preactivation"])
        let layer = try #require(loadingError { _ = try scratch.load() })
        #expect(layer.contains("backbone_config.layer_type 'preactivation' is not supported; supported: bottleneck, basic"), "\(layer)")
    }

    @Test("a repo id resolves in the Hugging Face cache, and an uncached one says where it looked")
    func hubCache() throws {
        let cache = NSTemporaryDirectory() + "maskscope-hub-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let repo = cache + "/models--example--tiny-m2f"
        let snapshot = repo + "/snapshots/0123abcd"
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try "0123abcd".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        for file in ["config.json", "preprocessor_config.json", "model.safetensors"] {
            // The hub cache holds symlinks into blobs/; resolve through them the same way.
            try FileManager.default.createSymbolicLink(atPath: snapshot + "/" + file, withDestinationPath: fixturePath("models/tiny-w7/\(file)"))
        }
        let environment = ["HF_HUB_CACHE": cache]
        let location = try CheckpointLocation.resolve("example/tiny-m2f", environment: environment)
        #expect(location.folder == snapshot)
        let loaded = try Mask2FormerModel(location: location)
        #expect(loaded.config.numQueries == 12)

        #expect(CheckpointLocation.hubCacheDirectory(environment: ["HF_HOME": "/x"]) == "/x/hub")
        #expect(CheckpointLocation.hubCacheDirectory(environment: ["HOME": "/home/u"]) == "/home/u/.cache/huggingface/hub")
        let message = try #require(loadingError { _ = try CheckpointLocation.resolve("example/absent", environment: environment) })
        #expect(message.contains(cache + "/models--example--absent") && message.contains("never downloads"), "\(message)")
    }

    @Test("5.x key rules map every Swin tensor name onto its 4.x spelling")
    func keyRules() {
        let b = "model.pixel_level_module.encoder."
        let cases = [
            (b + "swin.embeddings.norm.weight", b + "embeddings.norm.weight"),
            (b + "swin.encoder.layers.0.blocks.1.attention.q_proj.weight", b + "encoder.layers.0.blocks.1.attention.self.query.weight"),
            (b + "swin.encoder.layers.0.blocks.1.attention.o_proj.bias", b + "encoder.layers.0.blocks.1.attention.output.dense.bias"),
            (b + "swin.encoder.layers.2.blocks.0.attention.relative_position_bias.relative_position_bias_table",
             b + "encoder.layers.2.blocks.0.attention.self.relative_position_bias_table"),
            (b + "swin.encoder.layers.0.blocks.0.mlp.fc1.weight", b + "encoder.layers.0.blocks.0.intermediate.dense.weight"),
            (b + "swin.encoder.layers.0.blocks.0.mlp.fc2.weight", b + "encoder.layers.0.blocks.0.output.dense.weight"),
            (b + "swin.encoder.layers.1.downsample.reduction.weight", b + "encoder.layers.1.downsample.reduction.weight"),
            (b + "hidden_states_norms.stage1.weight", b + "hidden_states_norms.stage1.weight"),
            // Outside the backbone nothing changes, even names that look alike.
            ("model.transformer_module.decoder.layers.0.fc1.weight", "model.transformer_module.decoder.layers.0.fc1.weight"),
            ("model.pixel_level_module.decoder.encoder.layers.0.fc1.weight", "model.pixel_level_module.decoder.encoder.layers.0.fc1.weight"),
        ]
        for (fiveX, fourX) in cases {
            #expect(CheckpointKeyRules.canonicalName(fiveX) == fourX)
            #expect(CheckpointKeyRules.canonicalName(fourX) == fourX)
        }
    }
}
