// Attaching the ground truth to a loaded document (on the worker thread, after post-processing).

import Segmentation

extension ExplorerDocument {
    /// The document with its errors against `groundTruth` (or why there are none for this image).
    public func attaching(_ groundTruth: PanopticGroundTruth, imagePath: String, maskThreshold: Double) -> ExplorerDocument {
        var document = self
        document.groundTruthSource = (groundTruth, imagePath)
        document.groundTruth = groundTruth.load(forImage: imagePath, width: image.width, height: image.height).map { truth in
            ImageErrors(panoptic: panoptic, finalPrediction: predictions.final, truth: truth, groundTruth: groundTruth,
                        maskThreshold: maskThreshold)
        }
        return document
    }

    /// The errors, when this image has them.
    public var errors: ImageErrors? { if case .success(let errors)? = groundTruth { return errors } else { return nil } }
}
