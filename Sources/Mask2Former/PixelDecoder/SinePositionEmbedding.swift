// Port of transformers Mask2FormerSinePositionEmbedding (normalize = True, no mask): a fixed 2-D
// sine/cosine code per pixel that depends only on the map's shape.

#if canImport(Glibc)
import Glibc
#endif
import TensorCore

/// Position embedding `[H·W, 2F]` (token rows): channels 0..<F encode y, F..<2F encode x,
/// sine and cosine interleaved per pair, temperature 10000, scale 2π, eps 1e-6.
public func sinePositionEmbedding(height: Int, width: Int, featuresPerAxis features: Int) -> Tensor {
    let scale = Float(2 * Double.pi)
    let eps: Float = 1e-6
    // dim_t[k] = 10000^(2·⌊k/2⌋ / F), in f32 as torch computes it.
    let dimT: [Float] = (0..<features).map { k in
        powf(10000, Float(2 * (k / 2)) / Float(features))
    }
    func codes(length: Int) -> [[Float]] {
        let denominator = Float(length) + eps
        return (0..<length).map { i in
            let embed = Float(i + 1) / denominator * scale
            return (0..<features).map { k in
                let value = embed / dimT[k]
                return k % 2 == 0 ? sinf(value) : cosf(value)
            }
        }
    }
    let yCodes = codes(length: height), xCodes = codes(length: width)
    return Tensor(shape: [height * width, 2 * features]) { out in
        for y in 0..<height {
            for x in 0..<width {
                let row = out.baseAddress! + (y * width + x) * 2 * features
                for k in 0..<features {
                    row[k] = yCodes[y][k]
                    row[features + k] = xCodes[x][k]
                }
            }
        }
    }
}
