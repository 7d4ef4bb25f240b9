// Mask average precision as pycocotools' COCOeval computes it for iouType "segm" (cocoeval.py:
// computeIoU, evaluateImg, accumulate, summarize), restricted to maxDets = 100, the setting of every
// reported figure. Per (image, category, area range) only matches and scores are kept, never masks.

import Segmentation

public struct GroundTruthInstance: Sendable {
    /// Unique and non-zero (COCO annotation ids).
    public var id: Int
    public var categoryID: Int
    public var isCrowd: Bool
    public var area: Int
    public var mask: BinaryMask
    public init(id: Int, categoryID: Int, isCrowd: Bool, area: Int, mask: BinaryMask) {
        self.id = id; self.categoryID = categoryID; self.isCrowd = isCrowd; self.area = area; self.mask = mask
    }
}

public struct DetectedInstance: Sendable {
    public var categoryID: Int
    public var score: Double
    public var mask: BinaryMask
    public init(categoryID: Int, score: Double, mask: BinaryMask) { self.categoryID = categoryID; self.score = score; self.mask = mask }
}

public struct MaskAveragePrecision: Sendable {
    /// numpy.linspace(.5, .95, 10) and numpy.linspace(0, 1, 101), element for element.
    static let iouThresholds: [Double] = linspace(0.5, 0.95, 10)
    static let recallThresholds: [Double] = linspace(0, 1, 101)
    static let maxDetections = 100
    public static let areaRanges: [(name: String, range: ClosedRange<Double>)] = [
        ("all", 0...1e10), ("small", 0...(32.0 * 32)), ("medium", (32.0 * 32)...(96.0 * 96)), ("large", (96.0 * 96)...1e10),
    ]

    struct ImageEvaluation: Sendable {
        var scores: [Double]
        var matched: [[Bool]]   // [threshold][detection]
        var ignored: [[Bool]]   // [threshold][detection]
        var groundTruthIgnored: [Bool]
    }

    /// The categories evaluated (COCOeval's catIds: every thing category of the ground truth).
    public let categories: [Int]
    /// [category][area range] → evaluations in image order.
    var evaluations: [Int: [[ImageEvaluation]]] = [:]

    public init(categories: [Int]) {
        self.categories = categories.sorted()
        for category in self.categories { evaluations[category] = Array(repeating: [], count: Self.areaRanges.count) }
    }

    /// Evaluates one image (call in image-id order: ties between images are broken by that order).
    public mutating func add(groundTruth: [GroundTruthInstance], detections: [DetectedInstance]) {
        for category in categories {
            let gts = groundTruth.filter { $0.categoryID == category }
            // Sorted by score (stable, as numpy's mergesort) and cut to maxDets, before computing IoUs.
            let dts = Array(detections.enumerated().filter { $0.element.categoryID == category }
                .sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }
                .map(\.element).prefix(Self.maxDetections))
            if gts.isEmpty && dts.isEmpty { continue }
            let ious = dts.map { d in gts.map { g in maskIoU(d.mask, g.mask, crowd: g.isCrowd) } }
            for (a, area) in Self.areaRanges.enumerated() {
                evaluations[category]![a].append(evaluate(gts, dts, ious: ious, area: area.range))
            }
        }
    }

    func evaluate(_ gtsIn: [GroundTruthInstance], _ dts: [DetectedInstance], ious iousIn: [[Double]], area: ClosedRange<Double>) -> ImageEvaluation {
        let ignore = gtsIn.map { $0.isCrowd || Double($0.area) < area.lowerBound || Double($0.area) > area.upperBound }
        // Non-ignored ground truth first (stable), as evaluateImg does; IoU columns follow.
        let order = gtsIn.indices.sorted { (ignore[$0] ? 1 : 0, $0) < (ignore[$1] ? 1 : 0, $1) }
        let gts = order.map { gtsIn[$0] }, gtIgnore = order.map { ignore[$0] }
        let ious = iousIn.map { row in order.map { row[$0] } }
        let t = Self.iouThresholds.count
        var gtMatched = Array(repeating: Array(repeating: false, count: gts.count), count: t)
        var matched = Array(repeating: Array(repeating: false, count: dts.count), count: t)
        var ignored = Array(repeating: Array(repeating: false, count: dts.count), count: t)
        if !gts.isEmpty {
            for (ti, threshold) in Self.iouThresholds.enumerated() {
                for d in dts.indices {
                    var best = min(threshold, 1 - 1e-10)
                    var m = -1
                    for g in gts.indices {
                        if gtMatched[ti][g] && !gts[g].isCrowd { continue }
                        if m > -1 && !gtIgnore[m] && gtIgnore[g] { break }
                        if ious[d][g] < best { continue }
                        best = ious[d][g]
                        m = g
                    }
                    if m == -1 { continue }
                    ignored[ti][d] = gtIgnore[m]
                    matched[ti][d] = true
                    gtMatched[ti][m] = true
                }
            }
        }
        for d in dts.indices {
            let a = Double(dts[d].mask.area)
            if a < area.lowerBound || a > area.upperBound {
                for ti in 0..<t where !matched[ti][d] { ignored[ti][d] = true }
            }
        }
        return ImageEvaluation(scores: dts.map(\.score), matched: matched, ignored: ignored, groundTruthIgnored: gtIgnore)
    }

    /// precision[threshold][recall point] for one category and area range, or nil (COCOeval's −1)
    /// when that category has no non-ignored ground truth.
    func precision(category: Int, area: Int) -> [[Double]]? {
        let images = evaluations[category]?[area] ?? []
        guard !images.isEmpty else { return nil }
        let positives = images.reduce(0) { $0 + $1.groundTruthIgnored.filter { !$0 }.count }
        guard positives > 0 else { return nil }
        var entries: [(score: Double, image: Int, index: Int)] = []
        for (i, image) in images.enumerated() {
            for (d, score) in image.scores.enumerated() { entries.append((score, i, d)) }
        }
        // Stable descending sort of the concatenation (numpy mergesort on −score).
        let order = entries.indices.sorted { entries[$0].score > entries[$1].score || (entries[$0].score == entries[$1].score && $0 < $1) }
        return Self.iouThresholds.indices.map { t in
            var tp = 0.0, fp = 0.0
            var recall: [Double] = [], precision: [Double] = []
            for k in order {
                let e = entries[k], image = images[e.image]
                if image.ignored[t][e.index] { recall.append(tp / Double(positives)); precision.append(tp / (fp + tp + 2.220446049250313e-16)); continue }
                if image.matched[t][e.index] { tp += 1 } else { fp += 1 }
                recall.append(tp / Double(positives))
                precision.append(tp / (fp + tp + 2.220446049250313e-16))
            }
            // Precision made monotone from the right, then read at each recall threshold (searchsorted left).
            var i = precision.count - 1
            while i > 0 { if precision[i] > precision[i - 1] { precision[i - 1] = precision[i] }; i -= 1 }
            return Self.recallThresholds.map { threshold in
                guard let index = recall.firstIndex(where: { $0 >= threshold }) else { return 0 }
                return precision[index]
            }
        }
    }

    public struct Summary: Sendable, Equatable {
        public var ap: Double, ap50: Double, ap75: Double, apSmall: Double, apMedium: Double, apLarge: Double
        /// Per category AP over all thresholds (nil: no ground truth).
        public var perCategory: [Int: Double?]
    }

    /// COCOeval.summarize's AP figures (−1 where nothing could be evaluated, as pycocotools prints).
    public func summarize() -> Summary {
        func mean(thresholds: [Int], area: Int, categories chosen: [Int]) -> Double {
            var total = 0.0, count = 0
            for category in chosen {
                guard let p = precision(category: category, area: area) else { continue }
                for t in thresholds { for value in p[t] { total += value; count += 1 } }
            }
            return count == 0 ? -1 : total / Double(count)
        }
        let all = Array(Self.iouThresholds.indices)
        let t50 = Self.iouThresholds.firstIndex(of: 0.5).map { [$0] } ?? []
        let t75 = Self.iouThresholds.firstIndex(of: 0.75).map { [$0] } ?? []
        var perCategory: [Int: Double?] = [:]
        for category in categories {
            let value = mean(thresholds: all, area: 0, categories: [category])
            perCategory[category] = value < 0 ? nil : value
        }
        return Summary(ap: mean(thresholds: all, area: 0, categories: categories), ap50: mean(thresholds: t50, area: 0, categories: categories),
                       ap75: mean(thresholds: t75, area: 0, categories: categories), apSmall: mean(thresholds: all, area: 1, categories: categories),
                       apMedium: mean(thresholds: all, area: 2, categories: categories), apLarge: mean(thresholds: all, area: 3, categories: categories),
                       perCategory: perCategory)
    }
}

/// pycocotools' mask IoU: intersection over union, or over the detection's area for a crowd region.
func maskIoU(_ detection: BinaryMask, _ groundTruth: BinaryMask, crowd: Bool) -> Double {
    var intersection = 0, detectionArea = 0, groundTruthArea = 0
    for i in detection.bits.indices {
        let d = detection.bits[i] != 0, g = groundTruth.bits[i] != 0
        if d { detectionArea += 1 }
        if g { groundTruthArea += 1 }
        if d && g { intersection += 1 }
    }
    let union = crowd ? detectionArea : detectionArea + groundTruthArea - intersection
    return union == 0 ? 0 : Double(intersection) / Double(union)
}

/// numpy.linspace(start, stop, count) with its arithmetic: start + i·step, the last element = stop.
func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
    let step = (stop - start) / Double(count - 1)
    return (0..<count).map { $0 == count - 1 ? stop : Double($0) * step + start }
}
