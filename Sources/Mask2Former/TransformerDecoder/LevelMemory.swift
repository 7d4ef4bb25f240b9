// One feature level as every decoder layer on it reads it: the values (tokens + level embedding) and
// the keys' input (the same + the sine position code), made once per forward pass in one parallel pass.
//
// Why one pass: transposing the map, adding the level embedding, writing the position code and adding
// it were four passes over `[HW, d]`, and the addition was repeated by every layer (nine times for three
// levels); at 800×1088 (13 600 tokens at stride 8) that took longer than the self-attention of all nine
// layers.

import TensorCore

struct LevelMemory {
    let height: Int
    let width: Int
    /// `[HW, d]`: the map's tokens + the level embedding (what values are projected from).
    let values: Tensor
    /// `[HW, d]`: `values` + the sine position code (what keys are projected from).
    let positionedValues: Tensor

    /// - map: `[d, h, w]` (after the input projection, if any); levelEmbedding: `[d]`.
    init(map: Tensor, levelEmbedding: Tensor) {
        precondition(map.rank == 3 && levelEmbedding.count == map.shape[0] && map.shape[0] % 2 == 0,
                     "LevelMemory: map \(map.shape), level embedding \(levelEmbedding.shape)")
        let depth = map.shape[0], half = depth / 2
        height = map.shape[1]
        width = map.shape[2]
        let pixels = height * width, width = self.width
        // The sine code's two axis tables (`[h, d/2]` and `[w, d/2]`) hold every value of it.
        let yCode = sineAxisCodes(length: height, featuresPerAxis: half)
        let xCode = sineAxisCodes(length: width, featuresPerAxis: half)
        var positioned = Tensor(shape: [pixels, depth]) { _ in }
        values = Tensor(shape: [pixels, depth]) { valuesBuffer in
            positioned.withUnsafeMutableBufferPointer { positionedBuffer in
                map.withUnsafeBufferPointer { mp in
                    levelEmbedding.withUnsafeBufferPointer { ep in
                        yCode.withUnsafeBufferPointer { yp in
                            xCode.withUnsafeBufferPointer { xp in
                                let out = SendablePointer(valuesBuffer.baseAddress!)
                                let keys = SendablePointer(positionedBuffer.baseAddress!)
                                // Blocks of 32 pixels × 32 channels: the transposed reads stay in cache.
                                let block = 32
                                parallelFor((pixels + block - 1) / block, minimumChunk: 4) { range in
                                    for pixelBlock in range {
                                        let p0 = pixelBlock * block, p1 = Swift.min(pixels, p0 + block)
                                        for c0 in stride(from: 0, to: depth, by: block) {
                                            let c1 = Swift.min(depth, c0 + block)
                                            for p in p0..<p1 {
                                                let row = p * depth
                                                // Channel c's code: y's table for c < d/2, x's for the rest.
                                                let yRow = yp.baseAddress! + (p / width) * half
                                                let xRow = xp.baseAddress! + (p % width) * half
                                                for c in c0..<c1 {
                                                    let value = mp[c * pixels + p] + ep[c]
                                                    out.pointer[row + c] = value
                                                    keys.pointer[row + c] = value + (c < half ? yRow[c] : xRow[c - half])
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
        }
        positionedValues = positioned
    }
}
