// Panoptic quality as cocodataset/panopticapi computes it (panopticapi/evaluation.py:
// pq_compute_single_core + PQStat.pq_average): segments match when IoU > 0.5 within a category,
// VOID (id 0) pixels and crowd regions are forgiven for unmatched predictions.

/// One segment of a panoptic annotation (ground truth or prediction).
public struct PanopticSegmentInfo: Sendable, Equatable {
    public var id: Int
    public var categoryID: Int
    public var isCrowd: Bool
    /// Ground truth: the area the annotation JSON states (panopticapi uses it as given).
    public var area: Int
    public init(id: Int, categoryID: Int, isCrowd: Bool = false, area: Int = 0) {
        self.id = id; self.categoryID = categoryID; self.isCrowd = isCrowd; self.area = area
    }
}

public struct PanopticCategory: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var isThing: Bool
    public init(id: Int, name: String, isThing: Bool) { self.id = id; self.name = name; self.isThing = isThing }
}

/// Accumulates true/false positives, false negatives and the matched IoU per category.
public struct PanopticQualityAccumulator: Sendable {
    public struct Counts: Sendable, Equatable { public var iou = 0.0; public var tp = 0; public var fp = 0; public var fn = 0 }
    public private(set) var perCategory: [Int: Counts] = [:]
    public init() {}

    /// Adds one image. `groundTruth`/`prediction` are segment-id maps of the same size (0 = VOID).
    public mutating func add(groundTruth: [Int32], groundTruthSegments: [PanopticSegmentInfo],
                             prediction: [Int32], predictionSegments: [PanopticSegmentInfo]) {
        precondition(groundTruth.count == prediction.count, "panoptic maps differ in size")
        let gtByID = Dictionary(groundTruthSegments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var predByID = Dictionary(predictionSegments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Prediction areas come from the map (panopticapi recounts them).
        var predictedArea: [Int: Int] = [:]
        var pairs: [Int64: Int] = [:]   // (gt id << 32 | pred id) → intersection
        for i in groundTruth.indices {
            let g = Int64(groundTruth[i]), p = Int64(prediction[i])
            predictedArea[Int(p), default: 0] += 1
            pairs[(g << 32) | p, default: 0] += 1
        }
        for (id, area) in predictedArea where id != 0 { predByID[id]?.area = area }
        func intersection(_ g: Int, _ p: Int) -> Int { pairs[(Int64(g) << 32) | Int64(p)] ?? 0 }

        var gtMatched = Set<Int>(), predMatched = Set<Int>()
        for (key, overlap) in pairs {
            let g = Int(key >> 32), p = Int(key & 0xFFFF_FFFF)
            guard let gt = gtByID[g], let pred = predByID[p], !gt.isCrowd, gt.categoryID == pred.categoryID else { continue }
            let union = pred.area + gt.area - overlap - intersection(0, p)
            let iou = Double(overlap) / Double(union)
            if iou > 0.5 {
                perCategory[gt.categoryID, default: Counts()].tp += 1
                perCategory[gt.categoryID, default: Counts()].iou += iou
                gtMatched.insert(g); predMatched.insert(p)
            }
        }
        var crowdByCategory: [Int: Int] = [:]
        for gt in groundTruthSegments where !gtMatched.contains(gt.id) {
            if gt.isCrowd { crowdByCategory[gt.categoryID] = gt.id; continue }
            perCategory[gt.categoryID, default: Counts()].fn += 1
        }
        for pred in predByID.values where !predMatched.contains(pred.id) {
            // Ignored when more than half of it lies on VOID or on a crowd region of its category.
            var ignored = intersection(0, pred.id)
            if let crowd = crowdByCategory[pred.categoryID] { ignored += intersection(crowd, pred.id) }
            if pred.area > 0 && Double(ignored) / Double(pred.area) > 0.5 { continue }
            perCategory[pred.categoryID, default: Counts()].fp += 1
        }
    }

    public struct Scores: Sendable, Equatable { public var pq: Double; public var sq: Double; public var rq: Double; public var n: Int }

    /// PQ/SQ/RQ averaged over the categories (all, or only things/stuff) that occur at all.
    public func average(categories: [PanopticCategory], isThing: Bool?) -> (Scores, [Int: Scores]) {
        var total = Scores(pq: 0, sq: 0, rq: 0, n: 0)
        var perClass: [Int: Scores] = [:]
        for category in categories where isThing == nil || category.isThing == isThing! {
            let c = perCategory[category.id] ?? Counts()
            if c.tp + c.fp + c.fn == 0 { perClass[category.id] = Scores(pq: 0, sq: 0, rq: 0, n: 0); continue }
            let denominator = Double(c.tp) + 0.5 * Double(c.fp) + 0.5 * Double(c.fn)
            let scores = Scores(pq: c.iou / denominator, sq: c.tp == 0 ? 0 : c.iou / Double(c.tp), rq: Double(c.tp) / denominator, n: 1)
            perClass[category.id] = scores
            total.pq += scores.pq; total.sq += scores.sq; total.rq += scores.rq; total.n += 1
        }
        if total.n > 0 { total.pq /= Double(total.n); total.sq /= Double(total.n); total.rq /= Double(total.n) }
        return (total, perClass)
    }
}
