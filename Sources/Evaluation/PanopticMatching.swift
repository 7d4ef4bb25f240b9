// One image's panoptic matching, the rule of panopticapi's pq_compute_single_core: a ground-truth and a
// predicted segment match when they share a category and IoU > 0.5 (VOID pixels of the prediction leave
// the union); unmatched crowd regions are no false negatives, and an unmatched prediction lying more
// than half on VOID or on a crowd region of its category is no false positive. The accumulator and the
// explorer's error attribution both read this, so their counts agree by construction.

public struct PanopticMatching: Sendable {
    public struct Match: Sendable, Equatable { public var truth: Int; public var prediction: Int; public var iou: Double }

    /// Matched pairs (true positives), in ground-truth id order.
    public private(set) var matches: [Match] = []
    /// Unmatched, non-crowd ground-truth ids (false negatives).
    public private(set) var falseNegatives: [Int] = []
    /// Unmatched prediction ids that count (false positives).
    public private(set) var falsePositives: [Int] = []
    /// Unmatched prediction ids forgiven because they lie on VOID or a crowd region.
    public private(set) var ignored: [Int] = []

    public let truthSegments: [Int: PanopticSegmentInfo]
    /// Predicted segments with their areas recounted from the map, as panopticapi does.
    public let predictedSegments: [Int: PanopticSegmentInfo]
    private let pairs: [Int64: Int]

    /// `groundTruth`/`prediction` are segment-id maps of the same size (0 = VOID).
    public init(groundTruth: [Int32], groundTruthSegments: [PanopticSegmentInfo],
                prediction: [Int32], predictionSegments: [PanopticSegmentInfo]) {
        precondition(groundTruth.count == prediction.count, "panoptic maps differ in size")
        let gtByID = Dictionary(groundTruthSegments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var predByID = Dictionary(predictionSegments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var predictedArea: [Int: Int] = [:]
        var pairs: [Int64: Int] = [:]   // (gt id << 32 | pred id) → intersection
        for i in groundTruth.indices {
            let g = Int64(groundTruth[i]), p = Int64(prediction[i])
            predictedArea[Int(p), default: 0] += 1
            pairs[(g << 32) | p, default: 0] += 1
        }
        for (id, area) in predictedArea where id != 0 { predByID[id]?.area = area }
        self.pairs = pairs
        truthSegments = gtByID
        predictedSegments = predByID

        var gtMatched = Set<Int>(), predMatched = Set<Int>()
        for (key, _) in pairs {
            let g = Int(key >> 32), p = Int(key & 0xFFFF_FFFF)
            guard let gt = gtByID[g], let pred = predByID[p], !gt.isCrowd, gt.categoryID == pred.categoryID else { continue }
            let iou = self.iou(truth: g, prediction: p)
            if iou > 0.5 {
                matches.append(Match(truth: g, prediction: p, iou: iou))
                gtMatched.insert(g); predMatched.insert(p)
            }
        }
        matches.sort { $0.truth < $1.truth }
        var crowdByCategory: [Int: Int] = [:]
        for gt in groundTruthSegments where !gtMatched.contains(gt.id) {
            if gt.isCrowd { crowdByCategory[gt.categoryID] = gt.id; continue }
            falseNegatives.append(gt.id)
        }
        for pred in predByID.values.sorted(by: { $0.id < $1.id }) where !predMatched.contains(pred.id) {
            var forgiven = intersection(truth: 0, prediction: pred.id)
            if let crowd = crowdByCategory[pred.categoryID] { forgiven += intersection(truth: crowd, prediction: pred.id) }
            if pred.area > 0 && Double(forgiven) / Double(pred.area) > 0.5 { ignored.append(pred.id) } else { falsePositives.append(pred.id) }
        }
    }

    /// Pixels the two segments share (truth 0 = VOID).
    public func intersection(truth: Int, prediction: Int) -> Int { pairs[(Int64(truth) << 32) | Int64(prediction)] ?? 0 }

    /// panopticapi's IoU, whatever the categories: the prediction's VOID pixels leave the union.
    public func iou(truth: Int, prediction: Int) -> Double {
        let overlap = intersection(truth: truth, prediction: prediction)
        guard overlap > 0, let gt = truthSegments[truth], let pred = predictedSegments[prediction] else { return 0 }
        let union = pred.area + gt.area - overlap - intersection(truth: 0, prediction: prediction)
        return union > 0 ? Double(overlap) / Double(union) : 0
    }

    /// Ground-truth segments overlapping a prediction, most shared pixels first.
    public func truthsOverlapping(prediction: Int) -> [Int] {
        truthSegments.keys.filter { intersection(truth: $0, prediction: prediction) > 0 }
            .sorted { (intersection(truth: $0, prediction: prediction), -$0) > (intersection(truth: $1, prediction: prediction), -$1) }
    }

    /// Predictions overlapping a ground-truth segment, most shared pixels first.
    public func predictionsOverlapping(truth: Int) -> [Int] {
        predictedSegments.keys.filter { intersection(truth: truth, prediction: $0) > 0 }
            .sorted { (intersection(truth: truth, prediction: $0), -$0) > (intersection(truth: truth, prediction: $1), -$1) }
    }
}
