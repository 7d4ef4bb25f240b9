// Saved predictions as `maskscope merge` leaves them (panoptic.json, instances.json, per-image PNGs, the
// model's label ids), read back for `eval --predictions` in the ground truth's terms: labels matched to
// the dataset's categories by name, exactly as `eval --model` matches them.

import Evaluation
import FileIO
import Foundation
import Imaging
import Segmentation

struct MergedPredictions {
    let folder: String
    let results: CocoPanopticResults
    /// Ground-truth image (by image_id, else by file name without extension) → its annotation.
    let byImageID: [String: CocoPanopticAnnotation]
    let byStem: [String: CocoPanopticAnnotation]
    let instances: [String: [CocoInstanceResult]]

    init(folder: String) throws {
        self.folder = folder
        results = try JSONFile.decode(CocoPanopticResults.self, path: folder + "/panoptic.json", expecting: "merged panoptic results")
        byImageID = Dictionary(results.annotations.map { ($0.image_id.key, $0) }, uniquingKeysWith: { a, _ in a })
        byStem = Dictionary(results.annotations.map { (Self.stem($0.image_id.key), $0) }, uniquingKeysWith: { a, _ in a })
        if fileExists(folder + "/instances.json") {
            let list = try JSONFile.decode([CocoInstanceResult].self, path: folder + "/instances.json", expecting: "a COCO instance results list")
            instances = Dictionary(grouping: list, by: \.image_id.key)
        } else {
            instances = [:]
        }
    }

    /// `val2017/000000000139` and `000000000139.png` both → `000000000139`.
    static func stem(_ name: String) -> String {
        ((name as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    func scored(imageID: String, fileName: String, width: Int, height: Int, categories: [PanopticCategory],
                categoryIndex: [Int: Int]) throws -> EvalCommand.ScoredPrediction {
        guard let annotation = byImageID[imageID] ?? byStem[Self.stem(fileName)] else {
            throw FileError.invalidContent(path: folder + "/panoptic.json", reason: "no annotation for image \(imageID) (\(fileName))")
        }
        let labels = results.categories
        let labelIndex = Dictionary(labels.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let categoryByName = Dictionary(categories.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func category(ofLabel label: Int) -> PanopticCategory? {
            labelIndex[label].flatMap { categoryByName[labels[$0].name] }
        }

        let pngPath = folder + "/" + annotation.file_name
        let png = try loadImage(path: pngPath)
        guard png.width == width, png.height == height else {
            throw FileError.invalidContent(path: pngPath, reason: "is \(png.width)×\(png.height), the ground truth \(width)×\(height)")
        }
        let drawn = panopticIDs(png)
        let labelled = annotation.segments_info.map { (id: $0.id, label: $0.category_id) }
        try PanopticConsistency.check(ids: drawn, segments: labelled.map { ($0.id, $0.label) },
                                      categories: labelIndex, png: pngPath, json: folder + "/panoptic.json", everySegmentDrawn: true)
        // Segments whose label is not a category of the dataset become VOID, as in `eval --model`.
        let (ids, segments) = EvalCommand.inCategories(ids: drawn, segments: labelled, category: category(ofLabel:))

        var semantic = [Int32](repeating: -1, count: width * height)
        let semanticPath = folder + "/" + String(annotation.file_name.dropLast(".panoptic.png".count)) + ".semantic.png"
        if annotation.file_name.hasSuffix(".panoptic.png") && fileExists(semanticPath) {
            let map = try loadLabelPNG(path: semanticPath)
            guard map.width == width, map.height == height else {
                throw FileError.invalidContent(path: semanticPath, reason: "is \(map.width)×\(map.height), the ground truth \(width)×\(height)")
            }
            let lookup = labels.map { label in category(ofLabel: label.id).flatMap { categoryIndex[$0.id] }.map(Int32.init) ?? -1 }
            for (i, value) in map.values.enumerated() {
                guard Int(value) < lookup.count else {
                    throw FileError.invalidContent(path: semanticPath, reason: "label id \(value) is not one of the model's \(labels.count) labels")
                }
                semantic[i] = lookup[Int(value)]
            }
        }

        let detections = try (instances[annotation.image_id.key] ?? []).compactMap { result -> DetectedInstance? in
            guard labelIndex[result.category_id] != nil else {
                throw FileError.invalidContent(path: folder + "/instances.json", reason: "category_id \(result.category_id) is not one of the model's labels")
            }
            guard let category = category(ofLabel: result.category_id), category.isThing else { return nil }
            return DetectedInstance(categoryID: category.id, score: result.score, mask: try decodeCocoRLE(result.segmentation))
        }
        return EvalCommand.ScoredPrediction(panoptic: ids, segments: segments, semantic: semantic, detections: detections)
    }
}
