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

    /// `qkv [N, 3C]` (`queryKeyValue`'s output, tokens in image order) → the heads' context `[N, C]`,
    /// in token order, before the output projection.
    ///
    /// transformers pads, shifts and partitions the tokens into windows, attends, and undoes all three.
    /// Here each job copies its window's rows (for its heads) into scratch that stays in cache, with
    /// the bias where transformers has a zero-padded token (a zero row projects to the bias), and
    /// writes its context rows straight back to their tokens: no windowed copy of the whole activation
    /// on either side. Padding rows take part as keys and values but their outputs are dropped, as
    /// transformers' crop drops them.
    func callAsFunction(_ qkv: Tensor, grid: PreparedGrid) -> Tensor {
        let width = qkv.shape[1] / 3, headDim = width / heads
        let t = windowSize * windowSize
        let windowCount = grid.sources.count / t
        let headCount = heads
        // Windows × head groups: a stage with few windows (Swin-L's last at 384×384 has one) still
        // keeps every core busy; a group's heads share one gather of their columns.
        let groups = headGroups(windowCount: windowCount)
        let groupHeads = headCount / groups, groupWidth = groupHeads * headDim
        let scale = 1 / Float(headDim).squareRoot()
        let fill = queryKeyValue.bias
        let tokenCount = qkv.shape[0]
        return Tensor(shape: [tokenCount, width]) { contextBuffer in
            qkv.withUnsafeBufferPointer { qkvp in
                relativeBias.withUnsafeBufferPointer { bp in
                    (grid.mask ?? []).withUnsafeBufferPointer { mp in
                        grid.sources.withUnsafeBufferPointer { sp in
                            (fill?.scalars ?? [Float](repeating: 0, count: 3 * width)).withUnsafeBufferPointer { fp in
                                let out = SendablePointer(contextBuffer.baseAddress!)
                                let masked = grid.mask != nil
                                parallelFor(windowCount * groups) { range in
                                    // Per job: q, k, v of the group's heads `[T, 3·groupWidth]`, its context
                                    // `[T, groupWidth]` and one head's scores `[T, T]`.
                                    let stride = 3 * groupWidth
                                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: t * stride + t * groupWidth + t * t)
                                    defer { scratch.deallocate() }
                                    let windowed = scratch, context = scratch + t * stride, scores = context + t * groupWidth
                                    for job in range {
                                        let w = job / groups, g = job % groups
                                        let column = g * groupWidth
                                        for r in 0..<t {
                                            let source = Int(sp[w * t + r])
                                            let row = source < 0 ? fp.baseAddress! : qkvp.baseAddress! + source * 3 * width
                                            let destination = windowed + r * stride
                                            for part in 0..<3 {
                                                (destination + part * groupWidth).update(from: row + part * width + column, count: groupWidth)
                                            }
                                        }
                                        for local in 0..<groupHeads {
                                            let h = g * groupHeads + local
                                            let input = windowed + local * headDim
                                            attentionHead(
                                                query: input, queryStride: stride,
                                                key: input + groupWidth, keyStride: stride,
                                                value: input + 2 * groupWidth, valueStride: stride,
                                                output: context + local * headDim, outputStride: groupWidth,
                                                queryCount: t, keyCount: t, headDim: headDim, scale: scale,
                                                bias: bp.baseAddress! + h * t * t,
                                                mask: masked ? mp.baseAddress! + w * t * t : nil,
                                                scores: scores)
                                        }
                                        // Every token is some window's row exactly once, so this fills the output.
                                        for r in 0..<t {
                                            let token = Int(sp[w * t + r])
                                            guard token >= 0 else { continue }
                                            (out.pointer + token * width + column).update(from: context + r * groupWidth, count: groupWidth)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// How many groups to split the heads into: 1 when there are enough windows to share among the
    /// cores (the whole row is then one copy), else the fewest that give every worker several jobs.
    func headGroups(windowCount: Int) -> Int {
        let wanted = 4 * parallelWorkerCount
        guard windowCount < wanted else { return 1 }
        let needed = min(heads, (wanted + windowCount - 1) / windowCount)
        return (needed...heads).first { heads % $0 == 0 } ?? heads
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
