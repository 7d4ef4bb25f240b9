// Port of transformers SwinLayer: (shifted) window attention and an MLP, each with a pre-LayerNorm
// and a residual.

import TensorCore

struct SwinBlock: Sendable {
    var layerNormBefore: LayerNorm
    var attention: WindowAttention
    var layerNormAfter: LayerNorm
    var intermediate: Linear
    var output: Linear
    /// 0 for even blocks, windowSize / 2 for odd ones.
    var shift: Int
    var windowSize: Int

    init(config: SwinConfig, stage: Int, index: Int, weights: WeightLoader, prefix: String) throws {
        let width = config.channels(stage: stage)
        windowSize = config.windowSize
        shift = index % 2 == 0 ? 0 : config.windowSize / 2
        layerNormBefore = try weights.layerNorm(prefix + "layernorm_before", width: width, eps: config.layerNormEps)
        attention = try WindowAttention(config: config, stage: stage, weights: weights, prefix: prefix + "attention.")
        layerNormAfter = try weights.layerNorm(prefix + "layernorm_after", width: width, eps: config.layerNormEps)
        intermediate = try weights.linear(prefix + "intermediate.dense", input: width, output: config.mlpHidden(stage: stage))
        output = try weights.linear(prefix + "output.dense", input: config.mlpHidden(stage: stage), output: width)
    }

    /// `x [H·W, C]` → `[H·W, C]` in place (the residual adds reuse its storage instead of copying it).
    /// `normed` is `layerNormBefore(x)`; returns `nextNorm(x)` of the updated x (the next block's
    /// `layerNormBefore`, or the stage's output norm), computed in the same pass as the last residual
    /// add. `grid` carries this block's window layout (and its cached mask).
    func update(_ x: inout Tensor, normed: Tensor, grid: PreparedGrid, nextNorm: LayerNorm) -> Tensor {
        // Projections are per row and a zero row projects to the bias, so project the real tokens
        // only (up to 36% fewer rows when the grid is not a whole number of windows); the attention
        // reads its windows (padding rows = the bias) from this token-order output and writes back in
        // token order, so shift, partition and their inverses cost no pass over the activation.
        let context = attention(attention.queryKeyValue(normed), grid: grid)
        var hidden = intermediate(layerNormAfter.addingThenNormalizing(&x, attention.output(context)))
        hidden.applyGELU()
        return nextNorm.addingThenNormalizing(&x, output(hidden))
    }
}

/// A window grid with its gather indices and shift mask computed once per stage and shift.
struct PreparedGrid {
    /// Per windowed row, its token (−1 for padding).
    let sources: [Int32]
    let mask: [Float]?

    init(_ grid: WindowGrid) {
        sources = grid.sourceIndices()
        mask = grid.shiftMask()
    }
}
