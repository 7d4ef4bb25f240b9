// detectron2 → transformers tensor names for Mask2Former checkpoints (the official MODEL_ZOO .pkl files).
// The mapping is the one transformers' conversion script applies, read from
// transformers/models/mask2former/convert_mask2former_original_pytorch_checkpoint_to_pytorch.py
// (replace_swin_backbone, replace_pixel_module, replace_masked_attention_decoder,
// replace_keys_qkv_transformer_decoder, replace_universal_segmentation_module), plus the ResNet backbone
// (detectron2's `backbone.stem` / `backbone.res2…5` with FrozenBN, which that script does not convert)
// and the decoder's `input_proj` (empty in every published model: hidden_dim equals feature_size).
// Fused projections (Swin's `attn.qkv`, the decoder self-attention's `in_proj_*`) are split in three.

import Foundation

/// Where one transformers-named tensor comes from in a detectron2 checkpoint.
public struct Detectron2Source: Sendable, Equatable {
    /// The detectron2 name.
    public var name: String
    /// For a fused q/k/v projection: which third of the rows (0 query, 1 key, 2 value); nil for the whole tensor.
    public var third: Int?

    /// How `inspect` and error messages name it: `backbone.layers.0.blocks.0.attn.qkv.weight[rows 16..<32]`.
    public func describe(rows: Int?) -> String {
        guard let third, let rows else { return name }
        return "\(name)[rows \(third * rows)..<\((third + 1) * rows)]"
    }
}

public enum Detectron2NameMap {
    static let encoder = "model.pixel_level_module.encoder."
    static let pixelDecoder = "model.pixel_level_module.decoder."
    static let transformer = "model.transformer_module."

    /// The transformers names a detectron2 tensor becomes (three for a fused q/k/v projection), or an
    /// empty list for a name with no counterpart (reported as unused by the loader under its own name).
    public static func targets(of name: String) -> [(target: String, third: Int?)] {
        if let fused = fusedTargets(name) {
            return fused.enumerated().map { ($0.element, $0.offset) }
        }
        return renamed(name).map { [($0, nil)] } ?? []
    }

    static func fusedTargets(_ name: String) -> [String]? {
        // Swin: backbone.layers.S.blocks.B.attn.qkv.{weight,bias} → attention.self.{query,key,value}.
        if name.hasPrefix("backbone.layers."), let range = name.range(of: ".attn.qkv.") {
            let block = encoder + "encoder." + name[name.index(name.startIndex, offsetBy: 9)..<range.lowerBound]
            let suffix = name[range.upperBound...]
            return ["query", "key", "value"].map { "\(block).attention.self.\($0).\(suffix)" }
        }
        // Decoder self-attention (nn.MultiheadAttention): in_proj_{weight,bias} → {q,k,v}_proj.
        let selfAttention = "sem_seg_head.predictor.transformer_self_attention_layers."
        if name.hasPrefix(selfAttention), let range = name.range(of: ".self_attn.in_proj_") {
            let layer = name[name.index(name.startIndex, offsetBy: selfAttention.count)..<range.lowerBound]
            let suffix = name[range.upperBound...]
            return ["q", "k", "v"].map { "\(transformer)decoder.layers.\(layer).self_attn.\($0)_proj.\(suffix)" }
        }
        return nil
    }

    /// Ordered (from, to) substring rewrites within one part of the model.
    static func rewrite(_ rest: Substring, _ rules: [(String, String)]) -> String {
        var text = String(rest)
        for (from, to) in rules { text = text.replacingOccurrences(of: from, with: to) }
        return text
    }

    static func renamed(_ name: String) -> String? {
        if name == "criterion.empty_weight" { return name }
        if let rest = name.dropPrefix("backbone.") { return backbone(rest) }
        if let rest = name.dropPrefix("sem_seg_head.pixel_decoder.") {
            return pixelDecoder + rewrite(rest, [
                ("adapter_1.weight", "adapter_1.0.weight"), ("adapter_1.norm.", "adapter_1.1."),
                ("layer_1.weight", "layer_1.0.weight"), ("layer_1.norm.", "layer_1.1."),
                ("input_proj.", "input_projections."), ("transformer.level_embed", "level_embed"),
                ("transformer.encoder.", "encoder."), (".linear1.", ".fc1."), (".linear2.", ".fc2."),
                (".norm1.", ".self_attn_layer_norm."), (".norm2.", ".final_layer_norm."),
                ("mask_features.", "mask_projection."),
            ])
        }
        if let rest = name.dropPrefix("sem_seg_head.predictor.") {
            if let head = rest.dropPrefix("class_embed.") { return "class_predictor." + head }
            return transformer + rewrite(rest, [
                ("transformer_self_attention_layers.", "decoder.layers."), ("transformer_cross_attention_layers.", "decoder.layers."),
                ("transformer_ffn_layers.", "decoder.layers."),
                (".self_attn.out_proj.", ".self_attn.out_proj."), (".multihead_attn.", ".cross_attn."),
                (".linear1.", ".fc1."), (".linear2.", ".fc2."),
                ("decoder_norm.", "decoder.layernorm."), ("query_embed.", "queries_embedder."), ("query_feat.", "queries_features."),
                ("input_proj.", "input_projections."),
            ]).replacingNorms(in: rest)
        }
        return nil
    }

    static func backbone(_ rest: Substring) -> String? {
        // ResNet (FrozenBN keeps weight, bias, running_mean, running_var: folded like BatchNorm).
        if let stem = rest.dropPrefix("stem.conv1.") {
            return encoder + "embedder.embedder." + (stem.dropPrefix("norm.").map { "normalization." + $0 } ?? "convolution." + stem)
        }
        if rest.hasPrefix("res"), let dot = rest.firstIndex(of: "."), let stage = Int(rest[rest.index(rest.startIndex, offsetBy: 3)..<dot]),
           (2...5).contains(stage) {
            let parts = rest[rest.index(after: dot)...].split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count == 3, let layer = Int(parts[0]) else { return nil }
            let module: String
            if parts[1] == "shortcut" { module = "shortcut" } else if parts[1].hasPrefix("conv"), let j = Int(parts[1].dropFirst(4)), (1...3).contains(j) {
                module = "layer.\(j - 1)"
            } else { return nil }
            let leaf = parts[2].dropPrefix("norm.").map { "normalization." + $0 } ?? "convolution." + parts[2]
            return encoder + "encoder.stages.\(stage - 2).layers.\(layer).\(module).\(leaf)"
        }
        // Swin.
        if let norm = rest.dropPrefix("norm"), let dot = norm.firstIndex(of: "."), let stage = Int(norm[..<dot]) {
            return encoder + "hidden_states_norms.stage\(stage + 1)" + norm[dot...]
        }
        if let patch = rest.dropPrefix("patch_embed.") {
            return encoder + "embeddings." + rewrite(patch, [("proj.", "patch_embeddings.projection.")])
        }
        if let layers = rest.dropPrefix("layers.") {
            return encoder + "encoder.layers." + rewrite(layers, [
                (".norm1.", ".layernorm_before."), (".norm2.", ".layernorm_after."),
                (".attn.relative_position_bias_table", ".attention.self.relative_position_bias_table"),
                (".attn.relative_position_index", ".attention.self.relative_position_index"),
                (".attn.proj.", ".attention.output.dense."),
                (".mlp.fc1.", ".intermediate.dense."), (".mlp.fc2.", ".output.dense."),
            ])
        }
        return nil
    }
}

extension String {
    /// The decoder's three sub-layers each have a `norm`: which one it is depends on the sub-layer.
    /// Works on the name below `model.transformer_module.` (the caller prefixes it).
    fileprivate func replacingNorms(in source: Substring) -> String {
        let norm: String
        if source.hasPrefix("transformer_self_attention_layers.") { norm = ".self_attn_layer_norm." }
        else if source.hasPrefix("transformer_cross_attention_layers.") { norm = ".cross_attn_layer_norm." }
        else if source.hasPrefix("transformer_ffn_layers.") { norm = ".final_layer_norm." }
        else if source.hasPrefix("mask_embed.layers.") {
            // mask_embed.layers.I.{weight,bias} → decoder.mask_predictor.mask_embedder.I.0.{weight,bias}
            let parts = source.split(separator: ".")
            guard parts.count == 4 else { return self }
            return "decoder.mask_predictor.mask_embedder.\(parts[2]).0.\(parts[3])"
        } else { return self }
        return replacingOccurrences(of: ".norm.", with: norm)
    }
}

extension StringProtocol {
    func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? Substring(self).dropFirst(prefix.count) : nil
    }
}
