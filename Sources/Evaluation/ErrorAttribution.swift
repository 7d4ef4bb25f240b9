// Why one image's panoptic result is wrong: every predicted segment TP or FP (and why), every
// ground-truth segment TP or FN (and why), with the matched or nearest partner and the query
// responsible. Built on `PanopticMatching`, so the counts are those of `maskscope eval`.

import Segmentation

/// What post-processing did with one query, in the ground truth's terms.
public struct QueryEvidence: Sendable {
    public var query: Int
    /// Its best class as a ground-truth category; nil for "no object" or a label without a category.
    public var categoryID: Int?
    public var fate: QueryFate
    /// Its own mask (probability ≥ the mask threshold) at the ground truth's size.
    public var mask: BinaryMask
    public init(query: Int, categoryID: Int?, fate: QueryFate, mask: BinaryMask) {
        self.query = query; self.categoryID = categoryID; self.fate = fate; self.mask = mask
    }
}

public enum FalsePositiveReason: String, Sendable, CaseIterable {
    /// It covers a ground-truth segment (IoU > 0.5) of another category.
    case wrongClass = "wrong class"
    /// The ground-truth segment it overlaps most is already matched by another prediction.
    case duplicate = "duplicate"
    /// No ground-truth segment of its category overlaps it with IoU > 0.5.
    case lowIoU = "IoU ≤ 0.5"
}

public enum FalseNegativeReason: String, Sendable, CaseIterable {
    /// A predicted segment covers it (IoU > 0.5) with another category.
    case wrongClass = "wrong class"
    /// A predicted segment of its category overlaps it, with IoU ≤ 0.5.
    case lowIoU = "IoU ≤ 0.5"
    /// A query's mask covers it, but the query's class score is not above the threshold.
    case belowThreshold = "score below threshold"
    /// A query's mask covers it, but too little of that mask won the pixel vote.
    case removedByOverlap = "removed by overlap rule"
    /// A query's mask covers it, but its pixels joined an earlier stuff segment of the same class.
    case mergedIntoStuff = "merged into stuff segment"
    /// A query's mask covers it, but its best class is "no object".
    case noObject = "query said no object"
    /// No query's mask covers it.
    case noQuery = "no query predicted it"
}

public enum SegmentOutcome: Sendable, Equatable {
    case truePositive
    case falsePositive(FalsePositiveReason)
    case falseNegative(FalseNegativeReason)
    /// A prediction forgiven on VOID or crowd, or a crowd ground-truth region.
    case ignored
}

public struct AttributedSegment: Sendable, Equatable {
    public var id: Int
    public var categoryID: Int
    public var outcome: SegmentOutcome
    /// The matched segment on the other side, or the one the reason is about (a prediction's partner is
    /// a ground-truth id, a ground truth's partner a prediction id).
    public var partner: Int?
    /// IoU with the partner (0 without one).
    public var iou: Double
    /// The query that made the segment, or that the reason is about.
    public var query: Int?
    public init(id: Int, categoryID: Int, outcome: SegmentOutcome, partner: Int?, iou: Double, query: Int?) {
        self.id = id; self.categoryID = categoryID; self.outcome = outcome; self.partner = partner; self.iou = iou; self.query = query
    }
}

public struct ErrorAttribution: Sendable {
    public var predictions: [AttributedSegment] = []
    public var truths: [AttributedSegment] = []
    public let scores: PanopticImageScores
    /// The query masks counted against the ground truth, for attributing again with the same masks.
    public let overlaps: QueryOverlaps

    /// `segmentQueries`: the queries of each predicted segment id, first = the one that formed it;
    /// `overlaps`: counted before for these queries' masks (the explorer's threshold steps), or nil.
    public init(_ matching: PanopticMatching, groundTruth: [Int32], categories: [PanopticCategory],
                segmentQueries: [Int: [Int]] = [:], queries: [QueryEvidence] = [], overlaps: QueryOverlaps? = nil) {
        scores = PanopticImageScores(matching, categories: categories)
        let matchOfTruth = Dictionary(matching.matches.map { ($0.truth, $0) }, uniquingKeysWith: { a, _ in a })
        let matchOfPrediction = Dictionary(matching.matches.map { ($0.prediction, $0) }, uniquingKeysWith: { a, _ in a })
        let falsePositives = Set(matching.falsePositives)
        let truthIDs = matching.truthSegments.keys.sorted()

        for id in matching.predictedSegments.keys.sorted() {
            guard let segment = matching.predictedSegments[id] else { continue }
            var entry = AttributedSegment(id: id, categoryID: segment.categoryID, outcome: .ignored, partner: nil, iou: 0,
                                          query: segmentQueries[id]?.first)
            if let match = matchOfPrediction[id] {
                entry.outcome = .truePositive; entry.partner = match.truth; entry.iou = match.iou
            } else if falsePositives.contains(id) {
                let overlapping = matching.truthsOverlapping(prediction: id).filter { matching.truthSegments[$0]?.isCrowd == false }
                let sameCategory = overlapping.filter { matching.truthSegments[$0]?.categoryID == segment.categoryID }
                if let other = overlapping.first(where: { matching.truthSegments[$0]?.categoryID != segment.categoryID
                                                          && matching.iou(truth: $0, prediction: id) > 0.5 }) {
                    entry.outcome = .falsePositive(.wrongClass); entry.partner = other
                } else if let first = sameCategory.first, matchOfTruth[first] != nil {
                    entry.outcome = .falsePositive(.duplicate); entry.partner = first
                } else {
                    entry.outcome = .falsePositive(.lowIoU); entry.partner = sameCategory.first ?? overlapping.first
                }
                if let partner = entry.partner { entry.iou = matching.iou(truth: partner, prediction: id) }
            } else if let partner = matching.truthsOverlapping(prediction: id).first(where: { $0 != 0 }) {
                entry.partner = partner; entry.iou = matching.iou(truth: partner, prediction: id)
            }
            predictions.append(entry)
        }

        // Query mask ∩ ground-truth segment, counted once per query (or as the caller counted them).
        let counted = overlaps.flatMap { $0.truthIDs == truthIDs && $0.overlaps.count == queries.count ? $0 : nil }
            ?? QueryOverlaps(groundTruth: groundTruth, truthIDs: truthIDs, masks: queries.map(\.mask))
        self.overlaps = counted
        let (slotOfID, truthArea, overlaps, maskArea) = (counted.slotOfID, counted.truthArea, counted.overlaps, counted.maskArea)
        let segmentOfQuery = Dictionary(segmentQueries.flatMap { id, qs in qs.map { ($0, id) } }, uniquingKeysWith: { a, _ in a })

        for id in truthIDs {
            guard let segment = matching.truthSegments[id] else { continue }
            var entry = AttributedSegment(id: id, categoryID: segment.categoryID, outcome: .ignored, partner: nil, iou: 0, query: nil)
            if let match = matchOfTruth[id] {
                entry.outcome = .truePositive; entry.partner = match.prediction; entry.iou = match.iou
                entry.query = segmentQueries[match.prediction]?.first
            } else if !segment.isCrowd {
                let overlapping = matching.predictionsOverlapping(truth: id)
                func predicted(_ reason: FalseNegativeReason, _ prediction: Int) {
                    entry.outcome = .falseNegative(reason); entry.partner = prediction
                    entry.iou = matching.iou(truth: id, prediction: prediction); entry.query = segmentQueries[prediction]?.first
                }
                // Queries whose own mask covers it (IoU > 0.5): its category first, then by IoU.
                let slot = slotOfID[Int32(id)] ?? 0
                let area = slot > 0 ? truthArea[slot] : 0
                let covering = queries.indices.compactMap { k -> (Int, Double)? in
                    let shared = slot > 0 ? overlaps[k][slot] : 0
                    let union = area + maskArea[k] - shared
                    let iou = union > 0 ? Double(shared) / Double(union) : 0
                    return iou > 0.5 ? (k, iou) : nil
                }.sorted { a, b in
                    let aSame = queries[a.0].categoryID == segment.categoryID, bSame = queries[b.0].categoryID == segment.categoryID
                    return aSame != bSame ? aSame : a.1 > b.1
                }
                if let other = overlapping.first(where: { matching.predictedSegments[$0]?.categoryID != segment.categoryID
                                                          && matching.iou(truth: id, prediction: $0) > 0.5 }) {
                    predicted(.wrongClass, other)
                } else if let (k, iou) = covering.first, queries[k].fate != .kept {
                    let reason: FalseNegativeReason = switch queries[k].fate {
                    case .belowThreshold: .belowThreshold
                    case .removedByOverlap: .removedByOverlap
                    case .merged: .mergedIntoStuff
                    case .noObject, .kept: .noObject
                    }
                    entry.outcome = .falseNegative(reason); entry.query = queries[k].query; entry.iou = iou
                    // A merged query's pixels went to an earlier segment: that one is the partner.
                    if let segment = segmentOfQuery[queries[k].query] {
                        entry.partner = segment; entry.iou = matching.iou(truth: id, prediction: segment)
                    }
                } else if let same = overlapping.first(where: { matching.predictedSegments[$0]?.categoryID == segment.categoryID }) {
                    predicted(.lowIoU, same)
                } else if let (k, _) = covering.first, let segment = segmentOfQuery[queries[k].query] {
                    // A kept query of another class whose segment lost the pixels: its segment is the culprit.
                    predicted(.wrongClass, segment)
                } else {
                    entry.outcome = .falseNegative(.noQuery)
                }
            }
            truths.append(entry)
        }
    }
}

/// Each query mask ∩ each ground-truth segment, in pixels. The ids are made dense first (slot 0: any
/// id not annotated), so the count per pixel is an array increment, not a hash lookup.
public struct QueryOverlaps: Sendable {
    let truthIDs: [Int]
    let slotOfID: [Int32: Int]
    /// Pixels per slot.
    let truthArea: [Int]
    /// [query][slot].
    let overlaps: [[Int]]
    let maskArea: [Int]

    public init(groundTruth: [Int32], truthIDs: [Int], masks: [BinaryMask]) {
        let slotOfID = Dictionary(truthIDs.enumerated().map { (Int32($0.element), $0.offset + 1) }, uniquingKeysWith: { a, _ in a })
        var slotOfValue: [Int32: Int] = [:]
        let slots = groundTruth.map { value -> Int32 in
            if let known = slotOfValue[value] { return Int32(known) }
            let slot = slotOfID[value] ?? 0
            slotOfValue[value] = slot
            return Int32(slot)
        }
        var truthArea = [Int](repeating: 0, count: truthIDs.count + 1)
        for slot in slots { truthArea[Int(slot)] += 1 }
        var maskArea = [Int](repeating: 0, count: masks.count)
        let overlaps = masks.enumerated().map { k, mask -> [Int] in
            var counts = [Int](repeating: 0, count: truthIDs.count + 1)
            let n = min(mask.bits.count, slots.count)
            var area = 0
            mask.bits.withUnsafeBufferPointer { bits in
                slots.withUnsafeBufferPointer { slot in
                    counts.withUnsafeMutableBufferPointer { count in
                        // A query's mask is mostly empty: eight pixels are skipped at a time where all are.
                        guard let words = bits.baseAddress.map(UnsafeRawPointer.init) else { return }
                        var i = 0
                        while i < n {
                            if i + 8 <= n && words.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8; continue }
                            // Branch-free: a noisy mask's bits would mispredict every other pixel.
                            let bit = bits[i] != 0 ? 1 : 0
                            count[Int(slot[i])] &+= bit; area &+= bit
                            i += 1
                        }
                    }
                }
            }
            for i in n..<mask.bits.count where mask.bits[i] != 0 { area += 1 }
            maskArea[k] = area
            return counts
        }
        self.truthIDs = truthIDs
        self.slotOfID = slotOfID
        self.truthArea = truthArea
        self.overlaps = overlaps
        self.maskArea = maskArea
    }
}
