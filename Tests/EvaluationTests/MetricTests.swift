// The metrics on cases small enough to work out by hand (the reference comparison on a real
// dataset is in Tools/shapes-world/eval_reference.py).

import Evaluation
import Segmentation
import Testing

@Suite("Evaluation metrics")
struct MetricTests {
    let categories = [PanopticCategory(id: 1, name: "sky", isThing: false), PanopticCategory(id: 2, name: "disc", isThing: true)]

    @Test("PQ: a match, a miss, a false positive, and a prediction forgiven on VOID")
    func panopticQuality() {
        // 1×10 strip. GT: sky 0…4 (id 1), disc 5…7 (id 2), VOID 8…9. Prediction: sky 0…3 (id 10),
        // a disc 4…5 (id 11, IoU 1/4 with the GT disc → no match), a disc on VOID 8…9 (id 12).
        let gt: [Int32] = [1, 1, 1, 1, 1, 2, 2, 2, 0, 0]
        let pred: [Int32] = [10, 10, 10, 10, 11, 11, 0, 0, 12, 12]
        var accumulator = PanopticQualityAccumulator()
        accumulator.add(groundTruth: gt, groundTruthSegments: [PanopticSegmentInfo(id: 1, categoryID: 1, area: 5), PanopticSegmentInfo(id: 2, categoryID: 2, area: 3)],
                        prediction: pred, predictionSegments: [PanopticSegmentInfo(id: 10, categoryID: 1), PanopticSegmentInfo(id: 11, categoryID: 2),
                                                               PanopticSegmentInfo(id: 12, categoryID: 2)])
        let (all, perClass) = accumulator.average(categories: categories, isThing: nil)
        // sky: TP with IoU 4/5 → PQ 0.8. disc: FN 1, FP 1 (id 11), id 12 ignored (all on VOID) → PQ 0.
        #expect(abs(perClass[1]!.pq - 0.8) < 1e-12 && perClass[1]!.rq == 1)
        #expect(perClass[2]!.pq == 0 && perClass[2]!.rq == 0)
        #expect(abs(all.pq - 0.4) < 1e-12 && all.n == 2)
        #expect(accumulator.perCategory[2]?.fp == 1 && accumulator.perCategory[2]?.fn == 1)
    }

    @Test("mIoU: classes with a non-empty union, VOID ground truth skipped, VOID prediction a miss")
    func meanIoU() {
        var matrix = ConfusionMatrix(classes: 4)
        matrix.add(groundTruth: [0, 0, 1, 1, -1, 1, 1], prediction: [0, 1, 1, 1, 3, 2, -1])
        let result = matrix.intersectionOverUnion()
        // class 0: 1/(2+1−1) = 1/2; class 1: 2/(4+3−2) = 2/5 (its VOID-predicted pixel is a miss);
        // class 2: predicted once, never true → 0, still averaged; class 3 only on VOID → not counted.
        #expect(abs(result.mean - (0.5 + 0.4 + 0) / 3) < 1e-12)
        #expect(result.perClass[2] == 0 && result.perClass[3] == nil)
        #expect(abs(result.pixelAccuracy - 3.0 / 6) < 1e-12)
    }

    @Test("mask AP is 1 for perfect detections and follows COCO's interpolation for a miss")
    func averagePrecision() {
        func mask(_ bits: [UInt8]) -> BinaryMask { BinaryMask(width: bits.count, height: 1, bits: bits) }
        var perfect = MaskAveragePrecision(categories: [2])
        perfect.add(groundTruth: [GroundTruthInstance(id: 1, categoryID: 2, isCrowd: false, area: 3, mask: mask([1, 1, 1, 0, 0, 0]))],
                    detections: [DetectedInstance(categoryID: 2, score: 0.9, mask: mask([1, 1, 1, 0, 0, 0]))])
        #expect(abs(perfect.summarize().ap - 1) < 1e-12)   // tp / (tp + fp + eps), as pycocotools

        // Two GT instances; the top detection is a false positive, the second matches one GT:
        // precision 1/2 up to recall 1/2, nothing beyond → AP = 51/101 · 1/2 at every threshold.
        var half = MaskAveragePrecision(categories: [2])
        half.add(groundTruth: [GroundTruthInstance(id: 1, categoryID: 2, isCrowd: false, area: 2, mask: mask([1, 1, 0, 0, 0, 0])),
                               GroundTruthInstance(id: 2, categoryID: 2, isCrowd: false, area: 2, mask: mask([0, 0, 0, 0, 1, 1]))],
                 detections: [DetectedInstance(categoryID: 2, score: 0.9, mask: mask([0, 0, 1, 1, 0, 0])),
                              DetectedInstance(categoryID: 2, score: 0.5, mask: mask([1, 1, 0, 0, 0, 0]))])
        #expect(abs(half.summarize().ap - 51.0 / 101 * 0.5) < 1e-12)
        // A detection covering a crowd region is not a false positive.
        var crowd = MaskAveragePrecision(categories: [2])
        crowd.add(groundTruth: [GroundTruthInstance(id: 1, categoryID: 2, isCrowd: false, area: 2, mask: mask([1, 1, 0, 0, 0, 0])),
                                GroundTruthInstance(id: 2, categoryID: 2, isCrowd: true, area: 2, mask: mask([0, 0, 0, 0, 1, 1]))],
                  detections: [DetectedInstance(categoryID: 2, score: 0.9, mask: mask([0, 0, 0, 0, 1, 1])),
                               DetectedInstance(categoryID: 2, score: 0.5, mask: mask([1, 1, 0, 0, 0, 0]))])
        #expect(abs(crowd.summarize().ap - 1) < 1e-12)
    }
}
