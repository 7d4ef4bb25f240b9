// Attaching the ground truth to a loaded document (on the worker thread, after post-processing).

import Segmentation

extension ExplorerDocument {
    /// The document with its errors against `groundTruth` (or why there are none for this image).
    /// `reusing`: this image's errors made before at other thresholds: their annotation stands, and their
    /// per-query masks if the mask threshold is the same.
    public func attaching(_ groundTruth: PanopticGroundTruth, imagePath: String, maskThreshold: Double,
                          reusing previous: ImageErrors? = nil) -> ExplorerDocument {
        var document = self
        document.groundTruthSource = (groundTruth, imagePath)
        // The annotation read and checked before is this image's still: not read from disk again.
        let truth = previous.map { Result<ImageGroundTruth, GroundTruthProblem>.success($0.truth) }
            ?? groundTruth.load(forImage: imagePath, width: image.width, height: image.height)
        document.groundTruth = truth.map { truth in
            ImageErrors(panoptic: panoptic, finalPrediction: predictions.final, truth: truth, groundTruth: groundTruth,
                        maskThreshold: maskThreshold, reusing: previous)
        }
        return document
    }

    /// The errors, when this image has them.
    public var errors: ImageErrors? { if case .success(let errors)? = groundTruth { return errors } else { return nil } }
}
