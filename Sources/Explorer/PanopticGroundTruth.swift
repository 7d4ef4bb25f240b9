// A COCO panoptic ground truth as the explorer uses it: the categories, the model's labels matched to
// them by name (as `maskscope eval` matches them), and each image's annotation found by file name.

import Evaluation
import Foundation
import Imaging
import Segmentation

public struct PanopticGroundTruth: Sendable {
    public struct Annotation: Sendable {
        /// The annotation's PNG (segment id = R + 256·G + 256²·B).
        public var png: String
        public var segments: [PanopticSegmentInfo]
        public init(png: String, segments: [PanopticSegmentInfo]) { self.png = png; self.segments = segments }
    }

    public let categories: [PanopticCategory]
    /// Model label → its category (nil: no category of that name).
    public let categoryOfLabel: [PanopticCategory?]
    /// Annotations by the image's file name (its last path component).
    public let annotations: [String: Annotation]

    public init(categories: [PanopticCategory], labels: [String], annotations: [String: Annotation]) {
        self.categories = categories
        let byName = Dictionary(categories.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        categoryOfLabel = labels.map { byName[$0] }
        self.annotations = annotations
    }

    /// The stuff labels as eval derives them (a label whose category is not a thing), so the explorer's
    /// panoptic result is the one eval scores.
    public var stuffLabels: Set<Int> {
        Set(categoryOfLabel.indices.filter { categoryOfLabel[$0].map { !$0.isThing } ?? false })
    }

    public func annotation(forImage path: String) -> Annotation? {
        annotations[(path as NSString).lastPathComponent]
    }

    /// One image's ground truth: its id map checked against its segments (eval's check), or what is wrong.
    public func load(forImage path: String, width: Int, height: Int) -> Result<ImageGroundTruth, GroundTruthProblem> {
        guard let annotation = annotation(forImage: path) else {
            return .failure(GroundTruthProblem("no ground-truth annotation for \((path as NSString).lastPathComponent)"))
        }
        do {
            let png = try loadImage(path: annotation.png)
            guard png.width == width, png.height == height else {
                return .failure(GroundTruthProblem("\(annotation.png) is \(png.width)×\(png.height), the image \(width)×\(height)"))
            }
            let ids = panopticIDs(png)
            let index = Dictionary(categories.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
            try PanopticConsistency.check(ids: ids, segments: annotation.segments.map { ($0.id, $0.categoryID) },
                                          categories: index, png: annotation.png, json: "the ground-truth JSON")
            return .success(ImageGroundTruth(map: LabelMap(width: width, height: height, values: ids), segments: annotation.segments))
        } catch {
            return .failure(GroundTruthProblem("\(annotation.png): \(error)"))
        }
    }
}

/// One image's ground-truth segment ids (0 = VOID) and their segments.
public struct ImageGroundTruth: Sendable {
    public var map: LabelMap
    public var segments: [PanopticSegmentInfo]
    public init(map: LabelMap, segments: [PanopticSegmentInfo]) { self.map = map; self.segments = segments }
}

/// Why an image is shown without errors (no annotation, an unreadable PNG): a note, not a failure.
public struct GroundTruthProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
