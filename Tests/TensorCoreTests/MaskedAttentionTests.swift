// Attention on a scaled query (the decoder's kernel) against the general one it replaces: the same
// floats, bit for bit, at sizes around the 16-lane blocks, with rows that leave one key open, and unmasked.

import TensorCore
import TestSupport
import Testing

@Suite("Masked attention")
struct MaskedAttentionTests {
    @Test("equals multiHeadAttention with scale 1, masked or not, outputs and averaged weights",
          arguments: [(1, 1), (5, 7), (13, 16), (100, 37), (30, 144), (20, 577)])
    func equalsGeneralAttention(_ size: (Int, Int)) {
        let (queries, keys) = size
        var random = SeededRandom(seed: 41)
        let heads = 4, width = 32
        var q = random.tensor([queries, width], scale: 2)
        q.scale(by: 1 / Float(width / heads).squareRoot())
        let k = random.tensor([keys, width], scale: 2), v = random.tensor([keys, width])
        var blocked = (0..<(queries * keys)).map { _ in UInt8(random.next() % 3 == 0 ? 0 : 1) }
        // Every row keeps at least one key open (the decoder opens rows that would hide everything).
        for row in 0..<queries { blocked[row * keys + Int(random.next() % UInt64(keys))] = 0 }
        for (average, mask) in [(false, blocked), (true, blocked), (false, nil), (true, nil)] {
            let expected = multiHeadAttention(query: q, key: k, value: v, heads: heads, scale: 1,
                                              blocked: mask, averageWeights: average)
            let actual = multiHeadAttention(scaledQuery: q, key: k, value: v, heads: heads,
                                            blocked: mask, averageWeights: average)
            #expect(actual.output == expected.output)
            #expect(actual.averageWeights == expected.averageWeights)
            if let weights = actual.averageWeights, mask != nil {
                for i in blocked.indices where blocked[i] != 0 { #expect(weights.scalars[i] == 0) }
            }
        }
    }

    @Test("masked softmax equals softmax of the row with blocked entries set to −∞, with and without runs")
    func maskedSoftmaxRow() {
        var random = SeededRandom(seed: 42)
        for (count, runs) in [(1, false), (15, false), (16, false), (17, false), (100, false), (2304, false),
                              (100, true), (2304, true)] {
            let row = (0..<count).map { _ in random.uniform() * 30 }
            // Random bytes, or long runs of blocked keys (any nonzero byte blocks) as a real mask has.
            var blocked = (0..<count).map { i in
                runs ? (i % 200 < 150 ? UInt8(truncatingIfNeeded: 1 + i % 255) : 0) : UInt8(random.next() % 2)
            }
            blocked[count / 2] = 0
            var expected = row.indices.map { blocked[$0] != 0 ? -Float.infinity : row[$0] }
            var actual = row
            expected.withUnsafeMutableBufferPointer { softmaxInPlace($0.baseAddress!, count: count) }
            actual.withUnsafeMutableBufferPointer { rp in
                blocked.withUnsafeBufferPointer { maskedSoftmaxInPlace(rp.baseAddress!, blocked: $0.baseAddress!, count: count) }
            }
            #expect(actual == expected, "count \(count)")
        }
    }
}
