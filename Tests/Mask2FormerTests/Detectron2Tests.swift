// detectron2 checkpoints (issue 14): the name mapping, the architecture read from the shapes, the
// preprocessing chosen for the dataset, and the loaded model computing exactly what the transformers
// layout of the same weights computes. Stage-by-stage parity is in ParityTests (the .pkl cases).

import Foundation
import Mask2Former
import TestSupport
import Testing
import TensorCore
import TorchCheckpoint

private let tinyW7Labels = ["sky", "grass", "disc", "square", "triangle", "star", "ring"]

@Suite("detectron2 checkpoints")
struct Detectron2Tests {
    @Test("names map as transformers' conversion script maps them (ResNet with FrozenBN as detectron2 names it)",
          arguments: [
              ("backbone.patch_embed.proj.weight", "model.pixel_level_module.encoder.embeddings.patch_embeddings.projection.weight"),
              ("backbone.patch_embed.norm.bias", "model.pixel_level_module.encoder.embeddings.norm.bias"),
              ("backbone.norm0.weight", "model.pixel_level_module.encoder.hidden_states_norms.stage1.weight"),
              ("backbone.norm3.bias", "model.pixel_level_module.encoder.hidden_states_norms.stage4.bias"),
              ("backbone.layers.2.blocks.1.norm2.weight", "model.pixel_level_module.encoder.encoder.layers.2.blocks.1.layernorm_after.weight"),
              ("backbone.layers.0.blocks.1.attn.relative_position_bias_table",
               "model.pixel_level_module.encoder.encoder.layers.0.blocks.1.attention.self.relative_position_bias_table"),
              ("backbone.layers.1.blocks.0.attn.proj.bias", "model.pixel_level_module.encoder.encoder.layers.1.blocks.0.attention.output.dense.bias"),
              ("backbone.layers.1.blocks.0.mlp.fc2.weight", "model.pixel_level_module.encoder.encoder.layers.1.blocks.0.output.dense.weight"),
              ("backbone.layers.1.downsample.reduction.weight", "model.pixel_level_module.encoder.encoder.layers.1.downsample.reduction.weight"),
              ("backbone.stem.conv1.weight", "model.pixel_level_module.encoder.embedder.embedder.convolution.weight"),
              ("backbone.stem.conv1.norm.running_mean", "model.pixel_level_module.encoder.embedder.embedder.normalization.running_mean"),
              ("backbone.res3.1.conv2.norm.running_var", "model.pixel_level_module.encoder.encoder.stages.1.layers.1.layer.1.normalization.running_var"),
              ("backbone.res5.0.shortcut.weight", "model.pixel_level_module.encoder.encoder.stages.3.layers.0.shortcut.convolution.weight"),
              ("backbone.res2.0.shortcut.norm.weight", "model.pixel_level_module.encoder.encoder.stages.0.layers.0.shortcut.normalization.weight"),
              ("sem_seg_head.pixel_decoder.adapter_1.norm.weight", "model.pixel_level_module.decoder.adapter_1.1.weight"),
              ("sem_seg_head.pixel_decoder.layer_1.weight", "model.pixel_level_module.decoder.layer_1.0.weight"),
              ("sem_seg_head.pixel_decoder.input_proj.2.1.bias", "model.pixel_level_module.decoder.input_projections.2.1.bias"),
              ("sem_seg_head.pixel_decoder.transformer.level_embed", "model.pixel_level_module.decoder.level_embed"),
              ("sem_seg_head.pixel_decoder.transformer.encoder.layers.5.norm1.weight",
               "model.pixel_level_module.decoder.encoder.layers.5.self_attn_layer_norm.weight"),
              ("sem_seg_head.pixel_decoder.transformer.encoder.layers.1.self_attn.sampling_offsets.bias",
               "model.pixel_level_module.decoder.encoder.layers.1.self_attn.sampling_offsets.bias"),
              ("sem_seg_head.pixel_decoder.mask_features.weight", "model.pixel_level_module.decoder.mask_projection.weight"),
              ("sem_seg_head.predictor.transformer_cross_attention_layers.3.multihead_attn.in_proj_weight",
               "model.transformer_module.decoder.layers.3.cross_attn.in_proj_weight"),
              ("sem_seg_head.predictor.transformer_cross_attention_layers.3.norm.bias", "model.transformer_module.decoder.layers.3.cross_attn_layer_norm.bias"),
              ("sem_seg_head.predictor.transformer_self_attention_layers.8.norm.weight", "model.transformer_module.decoder.layers.8.self_attn_layer_norm.weight"),
              ("sem_seg_head.predictor.transformer_self_attention_layers.0.self_attn.out_proj.bias",
               "model.transformer_module.decoder.layers.0.self_attn.out_proj.bias"),
              ("sem_seg_head.predictor.transformer_ffn_layers.4.linear2.weight", "model.transformer_module.decoder.layers.4.fc2.weight"),
              ("sem_seg_head.predictor.transformer_ffn_layers.4.norm.weight", "model.transformer_module.decoder.layers.4.final_layer_norm.weight"),
              ("sem_seg_head.predictor.decoder_norm.bias", "model.transformer_module.decoder.layernorm.bias"),
              ("sem_seg_head.predictor.mask_embed.layers.2.weight", "model.transformer_module.decoder.mask_predictor.mask_embedder.2.0.weight"),
              ("sem_seg_head.predictor.query_feat.weight", "model.transformer_module.queries_features.weight"),
              ("sem_seg_head.predictor.query_embed.weight", "model.transformer_module.queries_embedder.weight"),
              ("sem_seg_head.predictor.level_embed.weight", "model.transformer_module.level_embed.weight"),
              ("sem_seg_head.predictor.class_embed.bias", "class_predictor.bias"),
              ("criterion.empty_weight", "criterion.empty_weight"),
          ])
    func renamed(_ pair: (String, String)) {
        let targets = Detectron2NameMap.targets(of: pair.0)
        #expect(targets.count == 1 && targets.first?.target == pair.1 && targets.first?.third == nil, "\(pair.0) → \(targets.map(\.target))")
    }

    @Test("fused projections split in query, key, value order; unknown names map to nothing")
    func fused() {
        let swin = Detectron2NameMap.targets(of: "backbone.layers.3.blocks.1.attn.qkv.weight")
        #expect(swin.map(\.target) == ["query", "key", "value"].map { "model.pixel_level_module.encoder.encoder.layers.3.blocks.1.attention.self.\($0).weight" })
        #expect(swin.map(\.third) == [0, 1, 2])
        let decoder = Detectron2NameMap.targets(of: "sem_seg_head.predictor.transformer_self_attention_layers.2.self_attn.in_proj_bias")
        #expect(decoder.map(\.target) == ["q", "k", "v"].map { "model.transformer_module.decoder.layers.2.self_attn.\($0)_proj.bias" })
        #expect(Detectron2NameMap.targets(of: "pixel_mean").isEmpty)
        #expect(Detectron2NameMap.targets(of: "backbone.res6.0.conv1.weight").isEmpty)
    }

    @Test("the architecture read from a Swin .pkl is the config.json it was made from")
    func swinArchitecture() throws {
        let file = try DetectronCheckpointFile(path: fixturePath("detectron2/tiny-w7.pkl"))
        let catalog: Detectron2LabelCatalog = { $0 == 7 ? Detectron2Dataset(name: "coco-panoptic", labels: tinyW7Labels) : nil }
        let architecture = try Detectron2Architecture(shapes: file.entries.mapValues(\.shape), path: file.path, catalog: catalog)
        let expected = try Mask2FormerConfig.load(path: fixturePath("models/tiny-w7/config.json"))
        #expect(architecture.config == expected)
        #expect(architecture.config.backbone.swin?.numHeads == [2, 4, 8, 16] && architecture.config.backbone.swin?.windowSize == 7)
        #expect(architecture.backboneName == "Swin (embed dim 16)")
        #expect(architecture.preprocessing.shortestEdge == 800 && architecture.preprocessing.longestEdge == 1333)
        // Without a catalog the classes are numbered, and the sizes are detectron2's defaults.
        let bare = try Detectron2Architecture(shapes: file.entries.mapValues(\.shape), path: file.path)
        #expect(bare.config.labels == (0..<7).map { "LABEL_\($0)" } && bare.dataset == nil)
    }

    @Test("the architecture read from a ResNet .pkl is the config.json it was made from")
    func resnetArchitecture() throws {
        let file = try DetectronCheckpointFile(path: fixturePath("detectron2/tiny-r-stride3x3.pkl"))
        let architecture = try Detectron2Architecture(shapes: file.entries.mapValues(\.shape), path: file.path,
                                                      catalog: { _ in Detectron2Dataset(name: "ade20k-150", labels: tinyW7Labels) })
        let expected = try Mask2FormerConfig.load(path: fixturePath("models/tiny-r-stride3x3/config.json"))
        #expect(architecture.config == expected)
        #expect(architecture.backboneName == "ResNet-20")  // depths [1, 2, 2, 1]: 6 bottlenecks × 3 + 2
        #expect(architecture.preprocessing.shortestEdge == 512 && architecture.preprocessing.longestEdge == 2048)
    }

    @Test("a ResNet is named by its depth, counted from its blocks: [3, 4, 23, 3] is ResNet-101")
    func publishedNames() throws {
        var shapes = try DetectronCheckpointFile(path: fixturePath("detectron2/tiny-r-stride3x3.pkl")).entries.mapValues(\.shape)
        for (stage, blocks) in zip(2...5, [3, 4, 23, 3]) {
            for block in 0..<blocks where shapes["backbone.res\(stage).\(block).conv1.weight"] == nil {
                shapes["backbone.res\(stage).\(block).conv1.weight"] = [1, 1, 1, 1]
            }
        }
        #expect(try Detectron2Architecture(shapes: shapes, path: "r101.pkl").backboneName == "ResNet-101")
    }

    @Test("shapes that tell no architecture are refused with one line naming the file and the tensor")
    func refusals() throws {
        let shapes = try DetectronCheckpointFile(path: fixturePath("detectron2/tiny-w7.pkl")).entries.mapValues(\.shape)
        var missing = shapes
        missing["sem_seg_head.predictor.query_feat.weight"] = nil
        let message = try #require(loadingError { _ = try Detectron2Architecture(shapes: missing, path: "m.pkl") })
        #expect(message.hasPrefix("m.pkl: ") && message.contains("'sem_seg_head.predictor.query_feat.weight' is missing"), "\(message)")
        var table = shapes
        table["backbone.layers.2.blocks.0.attn.relative_position_bias_table"] = [168, 8]
        let tableMessage = try #require(loadingError { _ = try Detectron2Architecture(shapes: table, path: "t.pkl") })
        #expect(tableMessage.contains("relative_position_bias_table' has 168 rows"), "\(tableMessage)")
        let none = try #require(loadingError { _ = try Detectron2Architecture(shapes: ["x": [1]], path: "n.pkl") })
        #expect(none.hasPrefix("n.pkl: ") && none.contains("supported detectron2 backbones"), "\(none)")
    }

    @Test("a .pkl loads as --model and computes bit for bit what the safetensors of the same weights computes",
          arguments: [("detectron2/tiny-w7.pkl", "tiny-w7"), ("detectron2/tiny-r-stride3x3.pkl", "tiny-r-stride3x3")])
    func sameAsTransformersLayout(_ pair: (String, String)) throws {
        let location = try CheckpointLocation.resolve(fixturePath(pair.0))
        #expect(location.isDetectron2)
        let fromPickle = try Mask2FormerModel(location: location)
        let fromSafetensors = try loadFixtureModel(pair.1)
        #expect(fromPickle.weightsFormat.hasPrefix("detectron2 pickle"))
        #expect(fromPickle.parameters.map(\.name) == fromSafetensors.parameters.map(\.name))
        #expect(fromPickle.parameters.contains { $0.fileName.hasPrefix("sem_seg_head.predictor.transformer_self_attention_layers.0.self_attn.in_proj_weight[rows ") })
        let pixels = try referenceInputAndLogits().0
        let (a, b) = (fromPickle.forward(pixels), fromSafetensors.forward(pixels))
        for (l, (x, y)) in zip(a.layers, b.layers).enumerated() {
            #expect(x.maskLogits.scalars == y.maskLogits.scalars && x.classLogits.scalars == y.classLogits.scalars, "layer \(l)")
        }
        // detectron2 normalises on 0–255 with Mask2Former's PIXEL_MEAN / PIXEL_STD, no rescale.
        #expect(fromPickle.processorConfig.backend == .detectron2 && !fromPickle.processorConfig.doRescale)
        #expect(fromPickle.processorConfig.imageMean == [123.675, 116.28, 103.53] && fromPickle.processorConfig.imageStd == [58.395, 57.12, 57.375])
    }

    @Test("a detectron2 training .pth (torch.save's zip of {\"model\": state dict}) loads and computes what the .pkl computes")
    func trainingPth() throws {
        let pth = try Mask2FormerModel(model: fixturePath("detectron2/tiny-r-stride3x3.pth"))
        let pkl = try Mask2FormerModel(model: fixturePath("detectron2/tiny-r-stride3x3.pkl"))
        #expect(pth.weightsFormat.hasPrefix("PyTorch zip") && pth.detectron2 == pkl.detectron2)
        let pixels = try referenceInputAndLogits().0
        #expect(pth.forward(pixels).final.maskLogits.scalars == pkl.forward(pixels).final.maskLogits.scalars)
    }

    @Test("a fused projection whose rows do not split in three is refused; BatchNorm counters are skipped")
    func weightsView() throws {
        let refused = try #require(loadingError {
            _ = try Detectron2Weights(file: FakeWeights(["backbone.layers.0.blocks.0.attn.qkv.weight": [16, 16]]))
        })
        #expect(refused == "fake.pkl: tensor 'backbone.layers.0.blocks.0.attn.qkv.weight' has shape [16, 16]; a fused query/key/value projection needs a first dimension divisible by 3")
        let view = try Detectron2Weights(file: FakeWeights([
            "backbone.res2.0.conv1.norm.num_batches_tracked": [], "sem_seg_head.predictor.transformer_self_attention_layers.0.self_attn.in_proj_bias": [96],
            "pixel_mean": [3, 1, 1],
        ]))
        #expect(Set(view.tensors.keys) == ["model.transformer_module.decoder.layers.0.self_attn.q_proj.bias", "model.transformer_module.decoder.layers.0.self_attn.k_proj.bias",
                                          "model.transformer_module.decoder.layers.0.self_attn.v_proj.bias", "pixel_mean"])
        #expect(view.tensors["model.transformer_module.decoder.layers.0.self_attn.k_proj.bias"]?.shape == [32])
        #expect(view.sourceName("model.transformer_module.decoder.layers.0.self_attn.v_proj.bias")
                == "sem_seg_head.predictor.transformer_self_attention_layers.0.self_attn.in_proj_bias[rows 64..<96]")
        #expect(try view.floatTensor("model.transformer_module.decoder.layers.0.self_attn.v_proj.bias").scalars == (64..<96).map(Float.init))
    }

    @Test("--model with a file that is not a pickle is refused in one line")
    func notAPickle() throws {
        let message = try #require(loadingError { _ = try CheckpointLocation.resolve(fixturePath("models/tiny-w7/config.json")) })
        #expect(message.contains("config.json: ") && message.contains("neither a pickle nor torch.save's zip"), "\(message)")
    }
}

/// Tensors by name and shape whose values are their element indices.
final class FakeWeights: WeightFile {
    let path = "fake.pkl"
    let formatName = "fake"
    let tensors: [String: WeightInfo]
    init(_ shapes: [String: [Int]]) { tensors = shapes.mapValues { WeightInfo(dtype: .f32, shape: $0) } }
    func floatTensor(_ name: String) throws -> Tensor {
        let shape = tensors[name]?.shape ?? []
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
    }
    func integerValues(_ name: String) throws -> [Int64] { [] }
}
