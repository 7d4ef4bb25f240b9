// Port of transformers Mask2FormerMaskedAttentionDecoderLayer: masked cross-attention to one
// feature level, then self-attention among the queries, then an FFN (post-norm unless pre_norm).

import TensorCore

struct DecoderLayer: Sendable {
    // Cross-attention is an nn.MultiheadAttention: q, k, v packed in one in_proj, split at load.
    var crossQuery: Linear, crossKey: Linear, crossValue: Linear, crossOutput: Linear
    var crossNorm: LayerNorm
    var selfQuery: Linear, selfKey: Linear, selfValue: Linear, selfOutput: Linear
    var selfNorm: LayerNorm
    var fc1: Linear, fc2: Linear
    var finalNorm: LayerNorm
    let heads: Int
    let preNorm: Bool
    let geluActivation: Bool

    init(config: Mask2FormerConfig, weights: WeightLoader, prefix: String) throws {
        let d = config.hiddenDim
        heads = config.numAttentionHeads
        preNorm = config.preNorm
        geluActivation = config.activationFunction == "gelu"
        let packed = try weights.tensor(prefix + "cross_attn.in_proj_weight", shape: [3 * d, d])
        let packedBias = try weights.tensor(prefix + "cross_attn.in_proj_bias", shape: [3 * d])
        // Rows 0..<d are q, d..<2d are k, 2d..<3d are v.
        func part(_ i: Int) -> Linear {
            Linear(weight: packed.rows((i * d)..<((i + 1) * d)), bias: packedBias.rows((i * d)..<((i + 1) * d)))
        }
        crossQuery = part(0); crossKey = part(1); crossValue = part(2)
        crossOutput = try weights.linear(prefix + "cross_attn.out_proj", input: d, output: d)
        crossNorm = try weights.layerNorm(prefix + "cross_attn_layer_norm", width: d)
        selfQuery = try weights.linear(prefix + "self_attn.q_proj", input: d, output: d)
        selfKey = try weights.linear(prefix + "self_attn.k_proj", input: d, output: d)
        selfValue = try weights.linear(prefix + "self_attn.v_proj", input: d, output: d)
        selfOutput = try weights.linear(prefix + "self_attn.out_proj", input: d, output: d)
        selfNorm = try weights.layerNorm(prefix + "self_attn_layer_norm", width: d)
        fc1 = try weights.linear(prefix + "fc1", input: d, output: config.dimFeedforward)
        fc2 = try weights.linear(prefix + "fc2", input: config.dimFeedforward, output: d)
        finalNorm = try weights.layerNorm(prefix + "final_layer_norm", width: d)
    }

    /// - state: `[Q, d]` queries; queryPosition: `[Q, d]`;
    ///   memory: `[HW, d]` level features (with level embedding); positionedMemory: `memory` + its sine
    ///   position code, what the keys are projected from (the same for every layer on that level, so the
    ///   decoder adds it once per forward pass).
    /// Returns the new state and, when asked, the cross-attention weights averaged over heads `[Q, HW]`.
    func callAsFunction(_ state: Tensor, queryPosition: Tensor, memory: Tensor, positionedMemory: Tensor,
                        blocked: [UInt8], keepCrossAttention: Bool) -> (state: Tensor, crossAttention: Tensor?) {
        let headDim = state.shape[1] / heads
        let scale = 1 / Float(headDim).squareRoot()
        var h = state

        // Masked cross-attention: position goes into q and k, never v.
        let crossInput = preNorm ? crossNorm(h) : h
        var q = crossQuery(crossInput + queryPosition)
        q.scale(by: scale)   // nn.MultiheadAttention scales q after the projection's bias
        let k = crossKey(positionedMemory)
        let v = crossValue(memory)
        let cross = multiHeadAttention(scaledQuery: q, key: k, value: v, heads: heads,
                                       blocked: blocked, averageWeights: keepCrossAttention)
        h += crossOutput(cross.output)
        if !preNorm { h = crossNorm(h) }

        // Self-attention among the queries.
        let selfInput = preNorm ? selfNorm(h) : h
        let positioned = selfInput + queryPosition
        var sq = selfQuery(positioned)
        sq.scale(by: scale)
        let attended = multiHeadAttention(scaledQuery: sq, key: selfKey(positioned), value: selfValue(selfInput),
                                          heads: heads).output
        h += selfOutput(attended)
        if !preNorm { h = selfNorm(h) }

        // FFN.
        var hidden = fc1(preNorm ? finalNorm(h) : h)
        if geluActivation { hidden.applyGELU() } else { hidden.applyReLU() }
        h += fc2(hidden)
        if !preNorm { h = finalNorm(h) }
        return (h, cross.averageWeights)
    }
}
