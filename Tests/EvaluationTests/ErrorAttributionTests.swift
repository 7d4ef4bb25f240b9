// Matching and error attribution on hand-made 1×N strips: each false-positive and false-negative
// reason, and per-image scores equal to the accumulator's.

import Evaluation
import Segmentation
import Testing

@Suite("Error attribution")
struct ErrorAttributionTests {
    let categories = [PanopticCategory(id: 1, name: "sky", isThing: false), PanopticCategory(id: 2, name: "disc", isThing: true),
                      PanopticCategory(id: 3, name: "square", isThing: true)]

    func attribute(_ gt: [Int32], _ truth: [PanopticSegmentInfo], _ pred: [Int32], _ predicted: [PanopticSegmentInfo],
                   segmentQueries: [Int: [Int]] = [:], queries: [QueryEvidence] = []) -> ErrorAttribution {
        let matching = PanopticMatching(groundTruth: gt, groundTruthSegments: truth, prediction: pred, predictionSegments: predicted)
        return ErrorAttribution(matching, groundTruth: gt, categories: categories, segmentQueries: segmentQueries, queries: queries)
    }
    func mask(_ bits: [UInt8]) -> BinaryMask { BinaryMask(width: bits.count, height: 1, bits: bits) }

    @Test("wrong class: a square where a disc is, FP on one side and FN on the other, both naming the partner")
    func wrongClass() {
        let result = attribute([1, 1, 1, 1, 0, 0], [PanopticSegmentInfo(id: 1, categoryID: 2, area: 4)],
                               [10, 10, 10, 10, 0, 0], [PanopticSegmentInfo(id: 10, categoryID: 3)], segmentQueries: [10: [7]])
        #expect(result.predictions == [AttributedSegment(id: 10, categoryID: 3, outcome: .falsePositive(.wrongClass), partner: 1, iou: 1, query: 7)])
        #expect(result.truths == [AttributedSegment(id: 1, categoryID: 2, outcome: .falseNegative(.wrongClass), partner: 10, iou: 1, query: 7)])
        #expect(result.scores.tp == 0 && result.scores.fp == 1 && result.scores.fn == 1 && result.scores.pq == 0)
    }

    @Test("duplicate: a second disc on an already matched disc")
    func duplicate() {
        let result = attribute([1, 1, 1, 1, 1, 1], [PanopticSegmentInfo(id: 1, categoryID: 2, area: 6)],
                               [10, 10, 10, 10, 10, 11], [PanopticSegmentInfo(id: 10, categoryID: 2), PanopticSegmentInfo(id: 11, categoryID: 2)])
        #expect(result.predictions[0].outcome == .truePositive && abs(result.predictions[0].iou - 5.0 / 6) < 1e-12)
        #expect(result.predictions[1].outcome == .falsePositive(.duplicate) && result.predictions[1].partner == 1)
        #expect(result.truths[0].outcome == .truePositive && result.truths[0].partner == 10)
        // One category: PQ = (5/6) / (1 + 0.5).
        #expect(result.scores.tp == 1 && result.scores.fp == 1 && result.scores.fn == 0)
        #expect(abs(result.scores.pq - (5.0 / 6) / 1.5) < 1e-12 && abs(result.scores.sq - 5.0 / 6) < 1e-12)
    }

    @Test("IoU ≤ 0.5: the right class, half off; a prediction on VOID is forgiven")
    func lowIoU() {
        let result = attribute([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [PanopticSegmentInfo(id: 1, categoryID: 2, area: 4)],
                               [0, 0, 10, 10, 10, 10, 0, 0, 12, 12],
                               [PanopticSegmentInfo(id: 10, categoryID: 2), PanopticSegmentInfo(id: 12, categoryID: 3)])
        // union = 4 + 4 − 2 − 2 (its VOID pixels) = 4 → IoU 1/2, not > 1/2.
        #expect(result.predictions[0].outcome == .falsePositive(.lowIoU) && result.predictions[0].iou == 0.5)
        #expect(result.predictions[1].outcome == .ignored)
        #expect(result.truths[0].outcome == .falseNegative(.lowIoU) && result.truths[0].partner == 10)
    }

    // GT: disc 0…3 (id 1), sky 4…7 (id 2). Predicted: sky 4…7 (id 5, query 0); the disc's pixels are VOID.
    // Query 1's own mask covers the disc exactly; its fate decides the reason.
    @Test("a missed disc names the query that had it and what post-processing did", arguments: [
        (QueryFate.belowThreshold, Optional(2), FalseNegativeReason.belowThreshold),
        (.removedByOverlap, 2, .removedByOverlap),
        (.noObject, nil, .noObject),
    ])
    func missedByPostProcessing(fate: QueryFate, category: Int?, reason: FalseNegativeReason) {
        let queries = [QueryEvidence(query: 0, categoryID: 1, fate: .kept, mask: mask([0, 0, 0, 0, 1, 1, 1, 1])),
                       QueryEvidence(query: 1, categoryID: category, fate: fate, mask: mask([1, 1, 1, 1, 0, 0, 0, 0]))]
        let result = attribute([1, 1, 1, 1, 2, 2, 2, 2], [PanopticSegmentInfo(id: 1, categoryID: 2, area: 4), PanopticSegmentInfo(id: 2, categoryID: 1, area: 4)],
                               [0, 0, 0, 0, 5, 5, 5, 5], [PanopticSegmentInfo(id: 5, categoryID: 1)], segmentQueries: [5: [0]], queries: queries)
        #expect(result.truths[0].outcome == .falseNegative(reason) && result.truths[0].query == 1 && result.truths[0].partner == nil)
        #expect(result.truths[1].outcome == .truePositive && result.truths[1].query == 0)
        #expect(result.scores.tp == 1 && result.scores.fn == 1 && result.scores.fp == 0)
    }

    @Test("merged into stuff: a second sky query's pixels joined the first sky segment")
    func mergedIntoStuff() {
        // GT: two sky regions (a dataset with stuff instances); predicted: one sky segment over both.
        let queries = [QueryEvidence(query: 0, categoryID: 1, fate: .kept, mask: mask([0, 0, 1, 1, 1, 1, 1, 1])),
                       QueryEvidence(query: 3, categoryID: 1, fate: .merged, mask: mask([1, 1, 1, 0, 0, 0, 0, 0]))]
        let result = attribute([1, 1, 1, 2, 2, 2, 2, 2], [PanopticSegmentInfo(id: 1, categoryID: 1, area: 3), PanopticSegmentInfo(id: 2, categoryID: 1, area: 5)],
                               [5, 5, 5, 5, 5, 5, 5, 5], [PanopticSegmentInfo(id: 5, categoryID: 1)], segmentQueries: [5: [0, 3]], queries: queries)
        #expect(result.truths[0].outcome == .falseNegative(.mergedIntoStuff) && result.truths[0].query == 3 && result.truths[0].partner == 5)
        #expect(result.truths[1].outcome == .truePositive)
    }

    @Test("no query predicted it: no mask covers the disc")
    func noQuery() {
        let queries = [QueryEvidence(query: 0, categoryID: 2, fate: .belowThreshold, mask: mask([1, 0, 0, 0, 0, 0, 0, 0]))]
        let result = attribute([1, 1, 1, 1, 0, 0, 0, 0], [PanopticSegmentInfo(id: 1, categoryID: 2, area: 4)],
                               [0, 0, 0, 0, 0, 0, 0, 0], [], queries: queries)
        #expect(result.truths == [AttributedSegment(id: 1, categoryID: 2, outcome: .falseNegative(.noQuery), partner: nil, iou: 0, query: nil)])
        #expect(result.scores.fn == 1 && result.scores.pq == 0 && result.scores.rq == 0)
    }

    @Test("a crowd region is no false negative, and a prediction on it is forgiven")
    func crowd() {
        let result = attribute([1, 1, 1, 1], [PanopticSegmentInfo(id: 1, categoryID: 2, isCrowd: true, area: 4)],
                               [10, 10, 10, 0], [PanopticSegmentInfo(id: 10, categoryID: 2)])
        #expect(result.truths[0].outcome == .ignored && result.predictions[0].outcome == .ignored)
        #expect(result.scores.tp + result.scores.fp + result.scores.fn == 0)
    }
}
