// The per-query readouts every command and the explorer share, on hand-made logits whose softmax
// and mask coverage are known.

import Foundation
import Mask2Former
import TensorCore
import Testing
@testable import Segmentation

@Suite("Query readouts")
struct QueryReadoutsTests {
    /// Three queries, two classes + "no object"; masks of 2×2 logits.
    static let prediction = LayerPrediction(
        classLogits: Tensor(shape: [3, 3], scalars: [
            Float(log(2.0)), 0, 0,          // q0: p = 1/2, 1/4, 1/4 → class 0
            0, 0, Float(log(6.0)),          // q1: p = 1/8, 1/8, 3/4 → "no object"; best real class 0 (tie, first)
            0, 5, 5,                        // q2: class 1 and "no object" tie → class 1 (first)
        ]),
        maskLogits: Tensor(shape: [3, 2, 2], scalars: [
            1, -1, 0.5, -3,                 // q0: 2 of 4 pixels above 0
            -1, -1, -1, -1,                 // q1: none
            0, 2, 3, 4,                     // q2: 0 is not > 0 → 3 of 4
        ]))

    @Test("softmax over K+1 columns, best column (first on ties), best real class, mask area")
    func readouts() {
        let r = QueryReadouts(Self.prediction)
        #expect(r.queryCount == 3 && r.classCount == 2)
        #expect(abs(r.probability(query: 0, column: 0) - 0.5) < 1e-6 && abs(r.probability(query: 0, column: 2) - 0.25) < 1e-6)
        #expect(r.bestClass == [0, 2, 1])
        #expect(abs(r.bestScore[0] - 0.5) < 1e-6 && abs(r.bestScore[1] - 0.75) < 1e-6)
        #expect(r.label(ofColumn: r.bestClass[1]) == -1 && r.label(ofColumn: 1) == 1)
        let real = r.bestRealClass(query: 1)
        #expect(real.label == 0 && abs(real.probability - 0.125) < 1e-6)
        #expect(r.bestRealClass(query: 2).label == 1)
        #expect(r.maskArea == [0.5, 0, 0.75])
        #expect(r.topColumns(query: 0, count: 2).map(\.column) == [0, 1])
        #expect(r.topColumns(query: 2, count: 3).map(\.column) == [1, 2, 0])
    }

    @Test("panoptic post-processing takes its query labels and scores from the readouts")
    func panopticUsesReadouts() {
        let r = QueryReadouts(Self.prediction)
        let result = panopticSegmentation(Self.prediction, readouts: r, stuffLabels: [], size: OutputSize(height: 2, width: 2))
        #expect(result.queryLabels == r.bestClass && result.queryScores == r.bestScore)
        #expect(result.queryFates[1] == .noObject)
    }
}
