// A decoder level's memory, made in one pass, against the steps it replaces: tokens of the map, plus
// the level embedding, plus the sine position code, bit for bit.

@testable import Mask2Former
import TensorCore
import TestSupport
import Testing

@Suite("Decoder level memory")
struct LevelMemoryTests {
    @Test("values and keys' input equal tokens + level embedding (+ sine code)",
          arguments: [(1, 1), (12, 12), (7, 45), (33, 34)])
    func equalsSeparateSteps(_ size: (Int, Int)) {
        var random = SeededRandom(seed: 44)
        let depth = 64, (height, width) = size
        let map = random.tensor([depth, height, width]), embedding = random.tensor([depth])
        let embeddingRows = Tensor(shape: [height * width, depth], scalars: (0..<(height * width)).flatMap { _ in embedding.scalars })
        let values = tokens(fromMap: map) + embeddingRows
        let keys = values + sinePositionEmbedding(height: height, width: width, featuresPerAxis: depth / 2)
        let memory = LevelMemory(map: map, levelEmbedding: embedding)
        #expect(memory.height == height && memory.width == width)
        #expect(memory.values == values)
        #expect(memory.positionedValues == keys)
    }
}
