// Port of transformers SwinPatchMerging: 2×2 neighbourhoods concatenated, normalised, projected to 2C.

import TensorCore

struct PatchMerging: Sendable {
    var norm: LayerNorm
    var reduction: Linear

    init(config: SwinConfig, stage: Int, weights: WeightLoader, prefix: String) throws {
        let width = config.channels(stage: stage)
        norm = try weights.layerNorm(prefix + "norm", width: 4 * width)
        reduction = try weights.linear(prefix + "reduction", input: 4 * width, output: 2 * width, bias: false)
    }

    /// `x [H·W, C]` → `[⌈H/2⌉·⌈W/2⌉, 2C]`. Odd sides are zero-padded by one row/column first.
    func callAsFunction(_ x: Tensor, height: Int, width: Int) -> (tokens: Tensor, height: Int, width: Int) {
        let channels = x.shape[1]
        let outHeight = (height + 1) / 2, outWidth = (width + 1) / 2
        // Concatenation order (row parity, column parity): (0,0), (1,0), (0,1), (1,1).
        let offsets = [(0, 0), (1, 0), (0, 1), (1, 1)]
        let merged = Tensor(shape: [outHeight * outWidth, 4 * channels]) { out in
            x.withUnsafeBufferPointer { xp in
                let merged = SendablePointer(out.baseAddress!)
                // Rows of output tokens on all cores (serially this copy was a whole pass over the stage).
                parallelFor(outHeight, minimumChunk: max(1, 4096 / max(1, outWidth * channels))) { rows in
                    for y in rows {
                        for xIndex in 0..<outWidth {
                            let row = merged.pointer + (y * outWidth + xIndex) * 4 * channels
                            for (part, (dy, dx)) in offsets.enumerated() {
                                let sy = 2 * y + dy, sx = 2 * xIndex + dx
                                let destination = row + part * channels
                                if sy < height && sx < width {
                                    destination.update(from: xp.baseAddress! + (sy * width + sx) * channels, count: channels)
                                } else {
                                    destination.initialize(repeating: 0, count: channels)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (reduction(norm(merged)), outHeight, outWidth)
    }
}
