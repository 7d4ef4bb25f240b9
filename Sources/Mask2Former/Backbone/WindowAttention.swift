// Port of transformers SwinAttention (SwinSelfAttention + SwinSelfOutput): multi-head attention
// inside each window with a learned relative position bias.

import TensorCore

struct WindowAttention: Sendable {
    /// query, key and value as one layer: `[C] → [3C]`.
    var queryKeyValue: Linear
    var output: Linear
    var heads: Int
    var windowSize: Int
    /// The bias table expanded to `[heads, T, T]` once at load (T = windowSize²).
    var relativeBias: [Float]

    init(config: SwinConfig, stage: Int, weights: WeightLoader, prefix: String) throws {
        let width = config.channels(stage: stage)
        heads = config.numHeads[stage]
        windowSize = config.windowSize
        queryKeyValue = try weights.fusedLinear(["query", "key", "value"].map { prefix + "self." + $0 },
                                                input: width, output: width, bias: config.qkvBias)
        output = try weights.linear(prefix + "output.dense", input: width, output: width)
        let span = 2 * windowSize - 1
        let table = try weights.tensor(prefix + "self.relative_position_bias_table", shape: [span * span, heads])
        let index = relativePositionIndex(windowSize: windowSize)
        try weights.optionalIndexBuffer(prefix + "self.relative_position_index", expected: index.map(Int64.init))
        let t = windowSize * windowSize
        var bias = [Float](repeating: 0, count: heads * t * t)
        let headCount = heads
        table.withUnsafeBufferPointer { tp in
            for h in 0..<headCount {
                for i in 0..<(t * t) { bias[h * t * t + i] = tp[index[i] * headCount + h] }
            }
        }
        relativeBias = bias
    }

    /// `qkv [W·T, 3C]` (`queryKeyValue`'s output, rows grouped by window) → the heads' context
    /// `[W·T, C]`, before the output projection. `shiftMask` is `[W, T, T]` additive, or nil for unshifted blocks.
    func callAsFunction(_ qkv: Tensor, shiftMask: [Float]?) -> Tensor {
        let width = qkv.shape[1] / 3, headDim = width / heads
        let t = windowSize * windowSize
        let windowCount = qkv.shape[0] / t
        var context = Tensor(zeros: [qkv.shape[0], width])
        let scale = 1 / Float(headDim).squareRoot()
        qkv.withUnsafeBufferPointer { qkvp in
            relativeBias.withUnsafeBufferPointer { bp in
                (shiftMask ?? []).withUnsafeBufferPointer { mp in
                    context.withUnsafeMutableBufferPointer { cp in
                        let out = SendablePointer(cp.baseAddress!)
                        let masked = shiftMask != nil
                        parallelFor(windowCount * heads, minimumChunk: 4) { range in
                            var scores = [Float](repeating: 0, count: t * t)
                            scores.withUnsafeMutableBufferPointer { sp in
                                for job in range {
                                    let w = job / heads, h = job % heads
                                    let input = qkvp.baseAddress! + w * t * 3 * width + h * headDim
                                    attentionHead(
                                        query: input, queryStride: 3 * width,
                                        key: input + width, keyStride: 3 * width,
                                        value: input + 2 * width, valueStride: 3 * width,
                                        output: out.pointer + w * t * width + h * headDim, outputStride: width,
                                        queryCount: t, keyCount: t, headDim: headDim, scale: scale,
                                        bias: bp.baseAddress! + h * t * t,
                                        mask: masked ? mp.baseAddress! + w * t * t : nil,
                                        scores: sp.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        return context
    }
}

/// Swin's `relative_position_index` `[T·T]`: for tokens t = (r1, c1), u = (r2, c2),
/// `(r1 − r2 + ws − 1)·(2ws − 1) + (c1 − c2 + ws − 1)`.
func relativePositionIndex(windowSize ws: Int) -> [Int] {
    let t = ws * ws
    var index = [Int](repeating: 0, count: t * t)
    for a in 0..<t {
        for b in 0..<t {
            index[a * t + b] = (a / ws - b / ws + ws - 1) * (2 * ws - 1) + (a % ws - b % ws + ws - 1)
        }
    }
    return index
}
