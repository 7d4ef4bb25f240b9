// Port of transformers SwinEmbeddings + SwinPatchEmbeddings (modeling_swin.py), no absolute embedding.

import TensorCore

struct PatchEmbedding: Sendable {
    var projection: Conv2d   // [C1, 3, p, p], stride p
    var norm: LayerNorm
    var patchSize: Int

    init(config: SwinConfig, weights: WeightLoader, prefix: String) throws {
        patchSize = config.patchSize
        projection = try weights.conv2d(prefix + "patch_embeddings.projection", input: config.numChannels,
                                        output: config.embedDim, kernel: patchSize, stride: patchSize)
        norm = try weights.layerNorm(prefix + "norm", width: config.embedDim)
    }

    /// `pixels [3, H, W]` → tokens `[H1·W1, C1]` with `H1 = ⌈H/p⌉`, `W1 = ⌈W/p⌉`.
    func callAsFunction(_ pixels: Tensor) -> (tokens: Tensor, height: Int, width: Int) {
        // Zero-pad right then bottom to a multiple of the patch (zeros of the normalised image).
        let padded = padBottomRight(pixels, toMultipleOf: patchSize)
        let map = projection(padded)                       // [C1, H1, W1]
        let height = map.shape[1], width = map.shape[2]
        return (norm(tokens(fromMap: map)), height, width)
    }
}

/// Zero-pads a `[C, H, W]` map on the bottom and right so both sides are multiples of `multiple`.
func padBottomRight(_ x: Tensor, toMultipleOf multiple: Int) -> Tensor {
    let channels = x.shape[0], height = x.shape[1], width = x.shape[2]
    let paddedHeight = (height + multiple - 1) / multiple * multiple
    let paddedWidth = (width + multiple - 1) / multiple * multiple
    if paddedHeight == height && paddedWidth == width { return x }
    return Tensor(shape: [channels, paddedHeight, paddedWidth]) { out in
        out.initialize(repeating: 0)
        x.withUnsafeBufferPointer { xp in
            for c in 0..<channels {
                for y in 0..<height {
                    (out.baseAddress! + (c * paddedHeight + y) * paddedWidth)
                        .update(from: xp.baseAddress! + (c * height + y) * width, count: width)
                }
            }
        }
    }
}
