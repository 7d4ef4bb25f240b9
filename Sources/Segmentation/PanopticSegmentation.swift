// Port of transformers Mask2FormerImageProcessor.post_process_panoptic_segmentation (+ compute_segments):
// drop "no object" and low scores, give each pixel to the query with the highest score × probability,
// keep a segment only if enough of its own mask survived, merge stuff classes into one segment.

import Mask2Former
import TensorCore

/// What post-processing did with one query: the explorer shows it for every query.
public enum QueryFate: String, Sendable, CaseIterable {
    case kept
    /// A stuff query whose pixels joined an earlier segment of the same class.
    case merged
    /// Its best class is "no object".
    case noObject = "no-object"
    /// Its class score is not above the threshold.
    case belowThreshold = "below-threshold"
    /// It passed the score filter, but too little of its mask won the pixel vote (or none did).
    case removedByOverlap = "removed-by-overlap"
}

public struct PanopticSegment: Sendable, Equatable {
    /// 1, 2, … (0 is "no segment" in the map).
    public var id: Int32
    public var label: Int
    public var isThing: Bool
    /// The class score of the first query that formed it.
    public var score: Float
    /// Queries whose pixels make up the segment (several when a stuff class was merged).
    public var queries: [Int]
    public var area: Int
    /// `(x, y, width, height)` in pixels.
    public var boundingBox: (x: Int, y: Int, width: Int, height: Int)

    public static func == (a: PanopticSegment, b: PanopticSegment) -> Bool {
        a.id == b.id && a.label == b.label && a.isThing == b.isThing && a.score == b.score && a.queries == b.queries
            && a.area == b.area && a.boundingBox == b.boundingBox
    }
}

public struct PanopticResult: Sendable {
    /// Segment id per pixel; 0 where no segment survived.
    public var map: LabelMap
    public var segments: [PanopticSegment]
    /// One per query.
    public var queryFates: [QueryFate]
    /// Each query's best class (K = "no object") and its probability, over all K+1 columns.
    public var queryLabels: [Int]
    public var queryScores: [Float]
}

/// Panoptic segmentation at `size` (384×384 when nil). `stuffLabels` are merged per class
/// (transformers' `label_ids_to_fuse`); all other labels are things.
/// `readouts`: the prediction's, when the caller has them already; `reference`: its `referenceLogits`,
/// when the caller keeps them across calls; `probabilities`: its `outputProbabilities` at `size` for
/// `options.maskResize`, when the caller keeps them (then neither the logits nor a resize are needed).
public func panopticSegmentation(_ prediction: LayerPrediction, readouts: QueryReadouts? = nil, stuffLabels: Set<Int>,
                                 size: OutputSize? = nil, options: PostProcessingOptions = PostProcessingOptions(),
                                 reference: Tensor? = nil, probabilities: Tensor? = nil) -> PanopticResult {
    let readouts = readouts ?? QueryReadouts(prediction)
    let queries = readouts.queryCount, classes = readouts.classCount
    // Max over all K+1 columns, first index on ties.
    let labels = readouts.bestClass, scores = readouts.bestScore
    var fates = [QueryFate](repeating: .kept, count: queries)
    var kept: [Int] = []
    for q in 0..<queries {
        if labels[q] == classes {
            fates[q] = .noObject
        } else if !(scores[q] > Float(options.threshold)) {   // tensor vs Python float: compared in f32
            fates[q] = .belowThreshold
        } else {
            kept.append(q)
        }
    }
    let output = size ?? .reference
    var map = LabelMap(width: output.width, height: output.height, filledWith: 0)
    guard !kept.isEmpty else {
        return PanopticResult(map: map, segments: [], queryFates: fates, queryLabels: labels, queryScores: scores)
    }

    var owner = [Int32](repeating: 0, count: output.height * output.width)
    let originalArea: [Int]
    if let probabilities {
        precondition(probabilities.shape == [queries, output.height, output.width],
                     "probabilities \(probabilities.shape) are not \(queries) queries at \(output.height)×\(output.width)")
        originalArea = owner.withUnsafeMutableBufferPointer { op in
            scoreWeightedVote(probabilities, channels: kept, weights: kept.map { scores[$0] },
                              maskThreshold: Float(options.maskThreshold), owner: op.baseAddress!)
        }
    } else {
        originalArea = pixelVote(prediction, kept: kept, scores: scores, output: output, size: size, options: options,
                                 reference: reference, owner: &owner)
    }
    var winningArea = [Int](repeating: 0, count: kept.count)
    for k in owner { winningArea[Int(k)] += 1 }

    // Segments in query order; a stuff class seen before reuses its segment.
    var segmentIDOfQuery = [Int32](repeating: 0, count: kept.count)
    var stuffSegment: [Int: Int32] = [:]
    var nextID: Int32 = 1
    var segments: [PanopticSegment] = []
    for (k, q) in kept.enumerated() {
        let area = winningArea[k], original = originalArea[k]
        // Int64 / Int64 in torch is an f32 division; `.item() > overlap` compares in double.
        let survives = area > 0 && original > 0 && Double(Float(area) / Float(original)) > options.overlapThreshold
        guard survives else { fates[q] = .removedByOverlap; continue }
        let label = labels[q]
        if stuffLabels.contains(label), let existing = stuffSegment[label] {
            segmentIDOfQuery[k] = existing
            fates[q] = .merged
            if let index = segments.firstIndex(where: { $0.id == existing }) { segments[index].queries.append(q) }
            continue
        }
        let id = nextID
        nextID += 1
        segmentIDOfQuery[k] = id
        if stuffLabels.contains(label) { stuffSegment[label] = id }
        segments.append(PanopticSegment(id: id, label: label, isThing: !stuffLabels.contains(label), score: scores[q],
                                        queries: [q], area: 0, boundingBox: (0, 0, 0, 0)))
    }
    for i in 0..<map.values.count { map.values[i] = segmentIDOfQuery[Int(owner[i])] }

    // Areas and boxes from the final map (ids are 1..<nextID: arrays, not dictionaries).
    let ids = Int(nextID)
    var areas = [Int](repeating: 0, count: ids)
    var minX = [Int](repeating: Int.max, count: ids), minY = [Int](repeating: Int.max, count: ids)
    var maxX = [Int](repeating: -1, count: ids), maxY = [Int](repeating: -1, count: ids)
    map.values.withUnsafeBufferPointer { mp in
        for y in 0..<output.height {
            for x in 0..<output.width {
                let id = Int(mp[y * output.width + x])
                guard id != 0 else { continue }
                areas[id] += 1
                minX[id] = min(minX[id], x); maxX[id] = max(maxX[id], x)
                minY[id] = min(minY[id], y); maxY[id] = max(maxY[id], y)
            }
        }
    }
    for i in segments.indices {
        let id = Int(segments[i].id)
        segments[i].area = areas[id]
        if maxX[id] >= 0 {
            segments[i].boundingBox = (minX[id], minY[id], maxX[id] - minX[id] + 1, maxY[id] - minY[id] + 1)
        }
    }
    return PanopticResult(map: map, segments: segments, queryFates: fates, queryLabels: labels, queryScores: scores)
}

/// The pixel vote from the logits: the kept queries' probabilities resized to the output in row
/// blocks (a few MB at a time), score-weighted, each pixel's owner and each query's area ≥ mask_threshold.
private func pixelVote(_ prediction: LayerPrediction, kept: [Int], scores: [Float], output: OutputSize, size: OutputSize?,
                       options: PostProcessingOptions, reference: Tensor?, owner: inout [Int32]) -> [Int] {
    // Probabilities of the kept queries at the source resolution.
    let (from, direct) = resizeStart(prediction, maskResize: options.maskResize, size: size, reference: reference)
    let sourceHeight = from.shape[1], sourceWidth = from.shape[2]
    var source = Tensor(shape: [kept.count, sourceHeight, sourceWidth]) { out in
        let plane = sourceHeight * sourceWidth
        // Whole planes through the buffer, not `scalars[i]` per element (its getter is not free in a loop).
        from.withUnsafeBufferPointer { fp in
            for (k, q) in kept.enumerated() {
                _ = UnsafeMutableBufferPointer(rebasing: out[(k * plane)..<((k + 1) * plane)])
                    .initialize(from: fp[(q * plane)..<((q + 1) * plane)])
            }
        }
    }
    // transformers resizes probabilities (after the sigmoid); `.direct` resizes logits instead.
    if !direct { source.applySigmoid() }

    // Per kept query, how many of its pixels pass mask_threshold.
    var originalArea = [Int](repeating: 0, count: kept.count)
    let maskThreshold = Float(options.maskThreshold)
    forEachRowBlock(height: output.height, width: output.width, channels: kept.count) { rows in
        var block = resizeBilinear(source, height: output.height, width: output.width, rows: rows)
        if direct { block.applySigmoid() }
        let plane = rows.count * output.width
        block.withUnsafeMutableBufferPointer { bp in
            for k in 0..<kept.count {
                let weight = scores[kept[k]]
                let row = bp.baseAddress! + k * plane
                for i in 0..<plane {
                    row[i] *= weight                               // score-weighted, as transformers (in place)
                    if row[i] >= maskThreshold { originalArea[k] += 1 }
                }
            }
        }
        owner.withUnsafeMutableBufferPointer { op in
            argmaxOverChannels(block.reshaped([kept.count, plane]), into: op.baseAddress! + rows.lowerBound * output.width)
        }
    }
    return originalArea
}
