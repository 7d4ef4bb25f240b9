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
        add(PanopticMatching(groundTruth: groundTruth, groundTruthSegments: groundTruthSegments,
                             prediction: prediction, predictionSegments: predictionSegments))
    }

    /// Adds one image's matching.
    public mutating func add(_ matching: PanopticMatching) {
        for match in matching.matches {
            guard let category = matching.truthSegments[match.truth]?.categoryID else { continue }
            perCategory[category, default: Counts()].tp += 1
            perCategory[category, default: Counts()].iou += match.iou
        }
        for id in matching.falseNegatives {
            guard let category = matching.truthSegments[id]?.categoryID else { continue }
            perCategory[category, default: Counts()].fn += 1
        }
        for id in matching.falsePositives {
            guard let category = matching.predictedSegments[id]?.categoryID else { continue }
            perCategory[category, default: Counts()].fp += 1
        }
    }

    /// The counts summed over every category.
    public var totals: Counts {
        perCategory.values.reduce(into: Counts()) { $0.iou += $1.iou; $0.tp += $1.tp; $0.fp += $1.fp; $0.fn += $1.fn }
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
