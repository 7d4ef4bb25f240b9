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
    /// `grid` carries this block's window layout (and its cached mask).
    func update(_ x: inout Tensor, grid: PreparedGrid) {
        // transformers pads the normed tokens with zeros, shifts, partitions, then projects every
        // windowed row. Projections are per row and a zero row projects to the bias, so project the
        // real tokens only (up to 36% fewer rows when the grid is not a whole number of windows) and
        // let the gather place the bias in the padding rows; shift and partition are that one gather.
        let queryKeyValue = attention.queryKeyValue(layerNormBefore(x))
        let windows = gatherRows(queryKeyValue, indices: grid.sources, fill: attention.queryKeyValue.bias)
        let context = attention(windows, shiftMask: grid.mask)
        // Back to token order (reverse partition, roll back, crop), then the output projection.
        x += attention.output(gatherRows(context, indices: grid.windowRows))
        var hidden = intermediate(layerNormAfter(x))
        hidden.applyGELU()
        x += output(hidden)
    }
}

/// A window grid with its gather indices and shift mask computed once per stage and shift.
struct PreparedGrid {
    /// Per windowed row, its token (−1 for padding).
    let sources: [Int32]
    /// Per token, its windowed row (the inverse of `sources`).
    let windowRows: [Int32]
    let mask: [Float]?

    init(_ grid: WindowGrid) {
        sources = grid.sourceIndices()
        var rows = [Int32](repeating: -1, count: grid.height * grid.width)
        for (row, token) in sources.enumerated() where token >= 0 { rows[Int(token)] = Int32(row) }
        windowRows = rows
        mask = grid.shiftMask()
    }
}
