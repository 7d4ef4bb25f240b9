// The decoder's attention mask against its definition: sigmoid(embedding · features) < 0.5 in f32,
// rows that would hide everything opened, at logits right around zero where only the sigmoid decides.

@testable import Mask2Former
import TensorCore
import TestSupport
import Testing

@Suite("Attention mask")
struct AttentionMaskTests {
    /// The definition, one logit at a time through `sigmoid`.
    func expectedMask(_ logits: Tensor) -> (mask: [UInt8], opened: [Int]) {
        let queries = logits.shape[0], pixels = logits.count / queries
        var mask = logits.scalars.map { sigmoid($0) < 0.5 ? UInt8(1) : 0 }
        var opened: [Int] = []
        for q in 0..<queries where mask[(q * pixels)..<((q + 1) * pixels)].allSatisfy({ $0 == 1 }) {
            for i in (q * pixels)..<((q + 1) * pixels) { mask[i] = 0 }
            opened.append(q)
        }
        return (mask, opened)
    }

    @Test("logits near zero, ±∞ and NaN are decided as sigmoid decides them")
    func edgeLogits() {
        let values: [Float] = [0, -0.0, 1e-9, -1e-9, -3e-8, -6e-8, -1e-7, -2e-7, -2.4e-7, -3e-7, -1e-6, -9.99e-6,
                               -1e-5, -1.01e-5, -1e-3, -100, 100, .infinity, -.infinity, .nan,
                               Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude]
        let pixels = values.count
        // Depth 1: each logit is embedding × feature exactly. Query 1 flips the signs; query 2 sees
        // only hidden pixels (every feature made −1) and is opened.
        let features = Tensor(shape: [1, 1, pixels], scalars: values)
        let embedding = Tensor(shape: [2, 1], scalars: [1, -1])
        let (mask, opened) = attentionMask(embedding: embedding, levelFeatures: features)
        let expected = expectedMask(matmul(embedding, features.reshaped([1, pixels])))
        #expect(mask == expected.mask)
        #expect(opened == expected.opened)
        let allHidden = attentionMask(embedding: Tensor(shape: [1, 1], scalars: [1]),
                                      levelFeatures: Tensor(shape: [1, 2, 3], repeating: -1))
        #expect(allHidden.mask == [UInt8](repeating: 0, count: 6) && allHidden.openedQueries == [0])
    }

    @Test("a level's mask equals the definition on the whole product", arguments: [(12, 12), (24, 24), (48, 48), (7, 13)])
    func randomLevel(_ size: (Int, Int)) {
        var random = SeededRandom(seed: 43)
        let queries = 100, depth = 64, (height, width) = size
        var embedding = random.tensor([queries, depth])
        // Row 3 all hidden (opened), row 4 all open.
        embedding.scalars.withUnsafeMutableBufferPointer { e in
            for d in 0..<depth { e[3 * depth + d] = 0; e[4 * depth + d] = 0 }
            e[3 * depth] = -1
        }
        var features = random.tensor([depth, height, width])
        features.scalars.withUnsafeMutableBufferPointer { f in for i in 0..<(height * width) { f[i] = 1 } }
        let (mask, opened) = attentionMask(embedding: embedding, levelFeatures: features)
        let expected = expectedMask(matmul(embedding, features.reshaped([depth, height * width])))
        #expect(mask == expected.mask)
        #expect(opened == expected.opened)
        #expect(opened.contains(3))
    }
}
