// The two spellings of checkpoint keys. Published hub files were written by transformers 4.x;
// transformers 5.x renames the Swin backbone's tensors. The model asks for 4.x names; these rules
// rewrite 5.x names to them, in one declared table (Docs/ARCHITECTURE.md, "Parity notes").

import Foundation

public struct KeyRule: Sendable, Equatable {
    /// Only names containing this are rewritten (keeps e.g. the decoder's `fc1` untouched).
    public var scope: String
    public var from: String
    public var to: String
}

public enum CheckpointKeyRules {
    static let swin = "model.pixel_level_module.encoder."

    /// 5.x → 4.x, applied in order.
    public static let rules: [KeyRule] = [
        KeyRule(scope: swin, from: swin + "swin.", to: swin),
        KeyRule(scope: swin, from: ".attention.q_proj.", to: ".attention.self.query."),
        KeyRule(scope: swin, from: ".attention.k_proj.", to: ".attention.self.key."),
        KeyRule(scope: swin, from: ".attention.v_proj.", to: ".attention.self.value."),
        KeyRule(scope: swin, from: ".attention.o_proj.", to: ".attention.output.dense."),
        KeyRule(scope: swin, from: ".attention.relative_position_bias.relative_position_bias_table",
                to: ".attention.self.relative_position_bias_table"),
        KeyRule(scope: swin, from: ".attention.relative_position_bias.relative_position_index",
                to: ".attention.self.relative_position_index"),
        KeyRule(scope: swin, from: ".mlp.fc1.", to: ".intermediate.dense."),
        KeyRule(scope: swin, from: ".mlp.fc2.", to: ".output.dense."),
    ]

    /// The 4.x (canonical) spelling of a key as found in a file.
    public static func canonicalName(_ name: String) -> String {
        var result = name
        for rule in rules where result.contains(rule.scope) {
            result = result.replacingOccurrences(of: rule.from, with: rule.to)
        }
        return result
    }

    /// Tensors a checkpoint may hold that inference never reads.
    public static func isIgnorable(_ canonical: String) -> Bool {
        canonical == "criterion.empty_weight"
            // Swin's final LayerNorm exists in 5.x state dicts but the backbone never applies it.
            || canonical.hasPrefix(swin + "layernorm.")
            // BatchNorm's training counter (ResNet backbones): eval mode never reads it.
            || (canonical.hasPrefix(swin) && canonical.hasSuffix(".num_batches_tracked"))
    }
}
