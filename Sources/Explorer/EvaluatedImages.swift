// What `maskscope eval` would report over the images the explorer has results for so far: PQ per
// image (n/p's worst-first order), PQ/SQ/RQ and TP/FP/FN per category, and the semantic confusion
// matrix, summed with eval's own accumulators from each image's matching.

import Evaluation
import Foundation
import Segmentation

public struct EvaluatedImages: Sendable {
    public private(set) var pqOfImage: [Int: Double] = [:]
    public private(set) var quality = PanopticQualityAccumulator()
    /// Ground-truth categories (the confusion matrix's rows and columns, in this order).
    public private(set) var categories: [PanopticCategory] = []
    public private(set) var confusion = ConfusionMatrix(classes: 0)

    public init() {}

    public var images: Int { pqOfImage.count }

    /// Adds an image, if it has errors against a ground truth.
    public mutating func add(_ document: ExplorerDocument, image: Int) {
        guard let errors = document.errors, let source = document.groundTruthSource else { return }
        let truth = source.truth
        if categories.isEmpty {
            categories = truth.categories
            confusion = ConfusionMatrix(classes: categories.count)
        }
        pqOfImage[image] = errors.scores.pq
        quality.add(errors.matching)
        // Semantic as eval scores it: each pixel's category index, VOID (−1) where the label has none.
        let index = Dictionary(categories.enumerated().map { ($0.element.id, Int32($0.offset)) }, uniquingKeysWith: { a, _ in a })
        let ofLabel = truth.categoryOfLabel.map { $0.flatMap { index[$0.id] } ?? -1 }
        let categoryOfSegment = Dictionary(errors.truth.segments.map { (Int32($0.id), index[$0.categoryID] ?? -1) }, uniquingKeysWith: { a, _ in a })
        let truthSemantic = errors.truth.map.values.map { categoryOfSegment[$0] ?? -1 }
        let predicted = document.semantic.values.map { $0 >= 0 && Int($0) < ofLabel.count ? ofLabel[Int($0)] : -1 }
        guard truthSemantic.count == predicted.count else { return }
        confusion.add(groundTruth: truthSemantic, prediction: predicted)
    }

    /// The per-class table: one line per category that occurs, worst PQ first.
    public func classLines() -> [String] {
        guard images > 0 else { return ["no image has results against a ground truth yet"] }
        let (all, perClass) = quality.average(categories: categories, isThing: nil)
        var lines = ["over \(images) image\(images == 1 ? "" : "s") · PQ \(percent(all.pq)) SQ \(percent(all.sq)) RQ \(percent(all.rq))",
                     pad("category", 18) + "    PQ    SQ    RQ    TP    FP    FN"]
        let occurring = categories.filter { c in (quality.perCategory[c.id].map { $0.tp + $0.fp + $0.fn } ?? 0) > 0 }
        for category in occurring.sorted(by: { (perClass[$0.id]?.pq ?? 0, $0.id) < (perClass[$1.id]?.pq ?? 0, $1.id) }) {
            let s = perClass[category.id]
            let c = quality.perCategory[category.id]
            lines.append(pad(category.name, 18) + [s?.pq, s?.sq, s?.rq].map { padLeft(percent($0 ?? 0), 6) }.joined()
                         + String(format: "%6d%6d%6d", c?.tp ?? 0, c?.fp ?? 0, c?.fn ?? 0))
        }
        return lines
    }

    /// The semantic confusion matrix in pixels: rows the ground truth, columns the prediction (the
    /// categories that occur in either, plus VOID), with each row's IoU.
    public func confusionLines(maximumColumns: Int) -> [String] {
        guard images > 0 else { return ["no image has results against a ground truth yet"] }
        let k = confusion.classes, width = k + 1
        func count(_ g: Int, _ p: Int) -> Int { confusion.counts[g * width + p] }
        let used = (0..<k).filter { c in (0..<width).contains { count(c, $0) > 0 } || (0..<k).contains { count($0, c) > 0 } }
        let cell = 7, name = 14
        let fitting = max(1, (maximumColumns - name - 7) / cell - 1)
        let columns = Array(used.prefix(fitting))
        let iou = confusion.intersectionOverUnion()
        var lines = ["over \(images) image\(images == 1 ? "" : "s") · mIoU \(percent(iou.mean)) · rows ground truth, columns prediction (px)"
                     + (columns.count < used.count ? " · \(used.count - columns.count) columns cut" : ""),
                     pad("", name) + columns.map { pad(" " + String(categories[$0].name.prefix(cell - 1)), cell) }.joined() + pad(" void", cell) + "   IoU"]
        for g in used {
            lines.append(pad(categories[g].name, name) + columns.map { String(format: "%7d", count(g, $0)) }.joined()
                         + String(format: "%7d", count(g, k)) + "  " + (iou.perClass[g].map { percent($0) } ?? "   -"))
        }
        return lines
    }

    func percent(_ value: Double) -> String { String(format: "%.1f", 100 * value) }
    func padLeft(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
}
