// `explore --panoptic-json --panoptic-dir`: the COCO panoptic ground truth read as `maskscope eval`
// reads it (the COCO types of CocoJSON.swift, categories matched to the model's labels by name), keyed by image file name.

import ArgumentParser
import Explorer
import FileIO
import Foundation
import Segmentation
import Evaluation

enum ExploreGroundTruth {
    static func load(json: String, directory: String, labels: [String]) throws -> PanopticGroundTruth {
        let truth = try JSONFile.decode(CocoPanopticDataset.self, path: json, expecting: "a COCO panoptic JSON")
        let categories = truth.categories.map(PanopticCategory.init)
        let fileOfImage = Dictionary(truth.images.map { ($0.id, $0.file_name) }, uniquingKeysWith: { a, _ in a })
        var annotations: [String: PanopticGroundTruth.Annotation] = [:]
        for annotation in truth.annotations {
            // An annotation whose image_id names no image is skipped: eval reports it, the explorer has no image for it.
            guard let file = fileOfImage[annotation.image_id] else { continue }
            annotations[(file as NSString).lastPathComponent] = PanopticGroundTruth.Annotation(
                png: directory + "/" + annotation.file_name,
                segments: annotation.segments_info.map(PanopticSegmentInfo.init))
        }
        let groundTruth = PanopticGroundTruth(categories: categories, labels: labels, annotations: annotations)
        guard groundTruth.categoryOfLabel.contains(where: { $0 != nil }) else {
            throw ValidationError("none of the model's labels (\(labels.prefix(4).joined(separator: ", ")), …) names a category of \(json)")
        }
        return groundTruth
    }
}
