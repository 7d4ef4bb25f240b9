// The decoder's attention on a scaled query against its definition, at sizes around the 16-lane blocks,
// with rows that leave one key open, and unmasked; its masked softmax against softmax with −∞.

import Foundation
import TensorCore
import TestSupport
import Testing

@Suite("Masked attention")
struct MaskedAttentionTests {
    @Test("equals softmax over the open keys · values, per head, masked or not, with averaged weights",
          arguments: [(1, 1), (5, 7), (13, 16), (100, 37), (30, 144), (20, 577)])
    func equalsNaiveAttention(_ size: (Int, Int)) {
        let (queries, keys) = size
        var random = SeededRandom(seed: 41)
        let heads = 4, width = 32, headDim = width / heads
        var q = random.tensor([queries, width], scale: 2)
        q.scale(by: 1 / Float(headDim).squareRoot())
        let k = random.tensor([keys, width], scale: 2), v = random.tensor([keys, width])
        var blocked = (0..<(queries * keys)).map { _ in UInt8(random.next() % 3 == 0 ? 0 : 1) }
        // Every row keeps at least one key open (the decoder opens rows that would hide everything).
        for row in 0..<queries { blocked[row * keys + Int(random.next() % UInt64(keys))] = 0 }
        for mask in [blocked, nil] {
            // The definition, in double precision.
            var expected = Tensor(zeros: [queries, width]), expectedWeights = Tensor(zeros: [queries, keys])
            for h in 0..<heads {
                for i in 0..<queries {
                    var scores = (0..<keys).map { j -> Double in
                        if let mask, mask[i * keys + j] != 0 { return -.infinity }
                        return (0..<headDim).reduce(0.0) {
                            $0 + Double(q.scalars[i * width + h * headDim + $1]) * Double(k.scalars[j * width + h * headDim + $1])
                        }
                    }
                    let top = scores.max()!
                    scores = scores.map { exp($0 - top) }
                    let total = scores.reduce(0, +)
                    for j in 0..<keys {
                        let p = scores[j] / total
                        expectedWeights.scalars[i * keys + j] += Float(p / Double(heads))
                        for d in 0..<headDim {
                            expected.scalars[i * width + h * headDim + d] += Float(p * Double(v.scalars[j * width + h * headDim + d]))
                        }
                    }
                }
            }
            for average in [false, true] {
                let actual = multiHeadAttention(scaledQuery: q, key: k, value: v, heads: heads,
                                                blocked: mask, averageWeights: average)
                expectClose(actual.output, expected, stage: "\(queries)×\(keys) masked=\(mask != nil) output", tolerance: 1e-5)
                if average {
                    let weights = actual.averageWeights ?? Tensor(zeros: [0])
                    expectClose(weights, expectedWeights, stage: "\(queries)×\(keys) masked=\(mask != nil) weights", tolerance: 1e-5)
                    // Blocked keys get exactly zero weight.
                    if let mask { for i in mask.indices where mask[i] != 0 { #expect(weights.scalars[i] == 0) } }
                } else {
                    #expect(actual.averageWeights == nil)
                }
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
