// Port of transformers Mask2FormerSinePositionEmbedding (normalize = True, no mask): a fixed 2-D
// sine/cosine code per pixel that depends only on the map's shape.

#if canImport(Glibc)
import Glibc
#endif
import TensorCore

/// Position embedding `[H·W, 2F]` (token rows): channels 0..<F encode y, F..<2F encode x,
/// sine and cosine interleaved per pair, temperature 10000, scale 2π, eps 1e-6.
public func sinePositionEmbedding(height: Int, width: Int, featuresPerAxis features: Int) -> Tensor {
    Tensor(shape: [height * width, 2 * features]) { out in
        writeSinePositionEmbedding(height: height, width: width, featuresPerAxis: features, plus: nil, into: out.baseAddress!)
    }
}

/// The same embedding written as `H·W` rows of 2F at `destination`, with `plus` (2F values, the pixel
/// decoder's level embedding) added to every row when given: one parallel pass, where building the
/// tensor, adding the row and copying it into the concatenation were three serial ones.
func writeSinePositionEmbedding(height: Int, width: Int, featuresPerAxis features: Int,
                                plus: UnsafePointer<Float>?, into destination: UnsafeMutablePointer<Float>) {
    let yCodes = sineAxisCodes(length: height, featuresPerAxis: features)
    let xCodes = sineAxisCodes(length: width, featuresPerAxis: features)
    let out = SendablePointer(destination)
    yCodes.withUnsafeBufferPointer { yp in
        xCodes.withUnsafeBufferPointer { xp in
            parallelFor(height * width, minimumChunk: max(1, 8192 / max(1, 2 * features))) { range in
                for token in range {
                    let y = token / width, x = token % width
                    let row = out.pointer + token * 2 * features
                    row.update(from: yp.baseAddress! + y * features, count: features)
                    (row + features).update(from: xp.baseAddress! + x * features, count: features)
                    if let plus {
                        for k in 0..<(2 * features) { row[k] += plus[k] }
                    }
                }
            }
        }
    }
}

/// One axis of the code: for each of `length` positions, its F values (row-major `[length, F]`).
/// The embedding is separable — channels 0..<F depend on y only, F..<2F on x only — so these two
/// tables hold every value of it.
func sineAxisCodes(length: Int, featuresPerAxis features: Int) -> [Float] {
    let scale = Float(2 * Double.pi)
    let eps: Float = 1e-6
    // dim_t[k] = 10000^(2·⌊k/2⌋ / F), in f32 as torch computes it.
    let dimT: [Float] = (0..<features).map { k in
        powf(10000, Float(2 * (k / 2)) / Float(features))
    }
    let denominator = Float(length) + eps
    return (0..<length).flatMap { i in
        let embed = Float(i + 1) / denominator * scale
        return (0..<features).map { k in
            let value = embed / dimT[k]
            return k % 2 == 0 ? sinf(value) : cosf(value)
        }
    }
}
