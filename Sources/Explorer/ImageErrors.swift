// The errors of one image against its ground truth, computed once with the document: the prediction in
// the ground truth's categories exactly as `maskscope eval` scores it (labels without a category become
// VOID), the per-query evidence from what post-processing did to each query, and ErrorAttribution over
// both, so the view's PQ and counts are eval's per-image figures.

import Evaluation
import Foundation
import Mask2Former
import Segmentation
import TensorCore

/// One row of the errors view: a predicted segment, or a ground-truth segment that was missed.
public struct ErrorRow: Sendable, Equatable {
    public enum Side: Sendable, Equatable { case prediction, truth }
    public var side: Side
    public var segment: AttributedSegment
    public var categoryName: String
}

public struct ImageErrors: Sendable {
    public let truth: ImageGroundTruth
    public let attribution: ErrorAttribution
    /// The segments matched as eval matches them (what the per-class table sums).
    public let matching: PanopticMatching
    /// Predicted segments first (id order), then the false negatives.
    public let rows: [ErrorRow]
    /// Per pixel, the row of the predicted segment there (−1: none or VOID).
    public let predictionRows: LabelMap
    /// Per pixel, the row of the false negative there (−1: none), drawn hatched over the predictions.
    public let missedRows: LabelMap
    /// Ground-truth segments in id order (the ground-truth view's list).
    public let truthSegments: [PanopticSegmentInfo]
    /// Per pixel, the index in `truthSegments` (−1: VOID): dense, where ids may run to 2²⁴.
    public let truthRows: LabelMap
    /// Each query's own mask at the ground truth's size and the threshold it was cut at: kept, so a new
    /// score or overlap threshold does not resize every query again (only the mask threshold does).
    let queryMasks: [BinaryMask]
    let maskThreshold: Double
    public let categoryNames: [Int: String]
    public let categoryIsThing: [Int: Bool]

    public var scores: PanopticImageScores { attribution.scores }

    public init(panoptic: PanopticResult, finalPrediction: LayerPrediction, truth: ImageGroundTruth,
                groundTruth: PanopticGroundTruth, maskThreshold: Double, reusing previous: ImageErrors? = nil) {
        self.truth = truth
        let width = truth.map.width, height = truth.map.height
        let categoryOfLabel = groundTruth.categoryOfLabel
        func category(_ label: Int) -> PanopticCategory? { label >= 0 && label < categoryOfLabel.count ? categoryOfLabel[label] : nil }
        // The prediction as eval scores it: segments whose label names no category become VOID.
        var ids = panoptic.map.values
        var predicted: [PanopticSegmentInfo] = []
        var dropped = Set<Int32>()
        var segmentQueries: [Int: [Int]] = [:]
        for segment in panoptic.segments {
            if let c = category(segment.label) {
                predicted.append(PanopticSegmentInfo(id: Int(segment.id), categoryID: c.id))
                segmentQueries[Int(segment.id)] = segment.queries
            } else { dropped.insert(segment.id) }
        }
        if !dropped.isEmpty { for i in ids.indices where dropped.contains(ids[i]) { ids[i] = 0 } }
        let matching = PanopticMatching(groundTruth: truth.map.values, groundTruthSegments: truth.segments,
                                        prediction: ids, predictionSegments: predicted)
        self.matching = matching
        let masks = previous.flatMap { $0.maskThreshold == maskThreshold && $0.truth.map.width == width && $0.truth.map.height == height ? $0.queryMasks : nil }
            ?? Self.queryMasks(finalPrediction, width: width, height: height, maskThreshold: maskThreshold)
        queryMasks = masks
        self.maskThreshold = maskThreshold
        let evidence = masks.indices.filter { $0 < panoptic.queryFates.count && $0 < panoptic.queryLabels.count }.map { q in
            QueryEvidence(query: q, categoryID: category(panoptic.queryLabels[q])?.id, fate: panoptic.queryFates[q], mask: masks[q])
        }
        // The same masks against the same annotation: the overlaps counted last time stand.
        let counted = previous.flatMap { $0.queryMasks.count == masks.count && $0.maskThreshold == maskThreshold ? $0.attribution.overlaps : nil }
        attribution = ErrorAttribution(matching, groundTruth: truth.map.values, categories: groundTruth.categories,
                                       segmentQueries: segmentQueries, queries: evidence, overlaps: counted)
        let names = Dictionary(groundTruth.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        categoryNames = names
        categoryIsThing = Dictionary(groundTruth.categories.map { ($0.id, $0.isThing) }, uniquingKeysWith: { a, _ in a })
        let missed = attribution.truths.filter { if case .falseNegative = $0.outcome { return true } else { return false } }
        rows = attribution.predictions.map { ErrorRow(side: .prediction, segment: $0, categoryName: names[$0.categoryID] ?? "?") }
            + missed.map { ErrorRow(side: .truth, segment: $0, categoryName: names[$0.categoryID] ?? "?") }
        let rowOfPrediction = Dictionary(rows.enumerated().filter { $0.element.side == .prediction }.map { (Int32($0.element.segment.id), Int32($0.offset)) },
                                         uniquingKeysWith: { a, _ in a })
        let rowOfMissed = Dictionary(rows.enumerated().filter { $0.element.side == .truth }.map { (Int32($0.element.segment.id), Int32($0.offset)) },
                                     uniquingKeysWith: { a, _ in a })
        predictionRows = LabelMap(width: width, height: height, values: ids.map { rowOfPrediction[$0] ?? -1 })
        missedRows = LabelMap(width: width, height: height, values: truth.map.values.map { rowOfMissed[$0] ?? -1 })
        let sortedTruth = truth.segments.sorted { $0.id < $1.id }
        truthSegments = sortedTruth
        let rowOfTruth = Dictionary(sortedTruth.enumerated().map { (Int32($0.element.id), Int32($0.offset)) }, uniquingKeysWith: { a, _ in a })
        truthRows = LabelMap(width: width, height: height, values: truth.map.values.map { rowOfTruth[$0] ?? -1 })
    }

    /// Each query's own mask (probability ≥ the mask threshold) at the ground truth's size. The logits
    /// are resized directly, one query at a time: near enough to say which ground-truth segment a query
    /// covered, without the memory of all planes at once.
    static func queryMasks(_ prediction: LayerPrediction, width: Int, height: Int, maskThreshold: Double) -> [BinaryMask] {
        let logits = prediction.maskLogits
        let queries = logits.shape[0]
        let plane = logits.shape[1] * logits.shape[2]
        // sigmoid(x) ≥ t ⇔ x ≥ log(t / (1 − t)).
        let t = min(max(maskThreshold, 1e-6), 1 - 1e-6)
        let cut = Float(log(t / (1 - t)))
        return (0..<queries).map { q in
            let one = Tensor(shape: [1, logits.shape[1], logits.shape[2]], scalars: Array(logits.scalars[(q * plane)..<((q + 1) * plane)]))
            let resized = resizeBilinear(one, height: height, width: width)
            return BinaryMask(width: width, height: height, bits: resized.scalars.map { $0 >= cut ? UInt8(1) : 0 })
        }
    }

    /// The queries-view row to jump to from an errors row: an FP's or FN's responsible query.
    public func responsibleQuery(row: Int) -> Int? {
        guard row >= 0, row < rows.count else { return nil }
        switch rows[row].segment.outcome {
        case .falsePositive, .falseNegative: return rows[row].segment.query
        case .truePositive, .ignored: return nil
        }
    }
}
