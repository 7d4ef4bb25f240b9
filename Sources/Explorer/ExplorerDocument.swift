// Everything the explorer shows for one image, computed once (off the UI thread) and cached.

import Imaging
import Mask2Former
import Segmentation
import TensorCore

/// One row of the queries view: every query, not only those that survived post-processing.
public struct QueryRow: Sendable, Equatable {
    public var query: Int
    public var label: Int
    public var score: Float
    /// Share of the image its final mask covers (logit > 0).
    public var area: Float
    public var fate: QueryFate
}

public struct ExplorerDocument: Sendable {
    public let name: String
    public let image: RGBImage
    public let labels: [String]
    public let stuff: Set<Int>
    public let predictions: Predictions
    /// Each layer's per-query readouts (class probabilities, best class, mask area), index = layer.
    public let readouts: [QueryReadouts]
    /// The thresholds the results below were made with (the explorer's t/T, m/M, o/O change them).
    public internal(set) var options = PostProcessingOptions()
    public internal(set) var panoptic: PanopticResult
    public let semantic: LabelMap
    public internal(set) var instances: [InstancePrediction]
    /// The instances painted into one map (index per pixel, −1 none), for the instance view.
    public internal(set) var instanceMap: LabelMap
    /// Semantic classes present, largest first, with their pixel counts.
    public let semanticClasses: [(label: Int, pixels: Int)]
    /// The instances at the lowest score threshold used so far: a higher threshold only filters them
    /// (the threshold is the instance post-processor's last test), so only a lower one computes masks.
    var instancesAtLowest: (threshold: Double, instances: [InstancePrediction])?
    /// All queries, best score first.
    public internal(set) var queries: [QueryRow]
    /// Errors against the ground truth (views 6 and 7); nil when the explorer has none, a problem when
    /// this image has no usable annotation.
    public var groundTruth: Result<ImageErrors, GroundTruthProblem>? = nil
    /// What the errors were computed against, so new thresholds can compute them again.
    var groundTruthSource: (truth: PanopticGroundTruth, imagePath: String)?

    /// Runs the model on `image` and post-processes at the image's resolution. Throws, before any
    /// work, when the forward pass on this image would pass the memory limit (as predict, segment and
    /// eval check it): a processor that does not resize makes the input as large as the image.
    public static func make(name: String, image: RGBImage, model: Mask2FormerModel, options: PostProcessingOptions,
                            stuff: Set<Int>, progress: (@Sendable (String) -> Void)? = nil) throws -> ExplorerDocument {
        _ = try model.checkedInputSize(imageHeight: image.height, imageWidth: image.width)
        progress?("preprocessing")
        let pixels = ImageProcessor(config: model.processorConfig).preprocess(image)
        let predictions = model.forward(pixels, options: ForwardOptions(keepCrossAttention: true, progress: progress))
        return postProcess(name: name, image: image, predictions: predictions, model: model, options: options, stuff: stuff, progress: progress)
    }

    /// The same, but nil as soon as `shouldStop` says so: it is asked between the stages (the
    /// forward pass itself runs to its end), so a quitting explorer is not kept waiting for long.
    public static func make(name: String, image: RGBImage, model: Mask2FormerModel, options: PostProcessingOptions,
                            stuff: Set<Int>, progress: (@Sendable (String) -> Void)? = nil,
                            shouldStop: () -> Bool) throws -> ExplorerDocument? {
        if shouldStop() { return nil }
        _ = try model.checkedInputSize(imageHeight: image.height, imageWidth: image.width)
        progress?("preprocessing")
        let pixels = ImageProcessor(config: model.processorConfig).preprocess(image)
        if shouldStop() { return nil }
        let predictions = model.forward(pixels, options: ForwardOptions(keepCrossAttention: true, progress: progress))
        if shouldStop() { return nil }
        return postProcess(name: name, image: image, predictions: predictions, model: model, options: options, stuff: stuff, progress: progress)
    }

    static func postProcess(name: String, image: RGBImage, predictions: Predictions, model: Mask2FormerModel,
                            options: PostProcessingOptions, stuff: Set<Int>, progress: (@Sendable (String) -> Void)?) -> ExplorerDocument {
        progress?("post-processing")
        let size = OutputSize(height: image.height, width: image.width)
        // Every layer's readouts, which also computes every layer's masks (the forward pass leaves them
        // to the first read; the layer view and filmstrip show them): now, while the document loads,
        // not on a key press.
        let readouts = QueryReadouts.layers(of: predictions)
        let final = predictions.final, finalReadouts = readouts[readouts.count - 1]
        let panoptic = panopticSegmentation(final, readouts: finalReadouts, stuffLabels: stuff, size: size, options: options)
        let rows = (0..<finalReadouts.queryCount).map { q in
            QueryRow(query: q, label: panoptic.queryLabels[q], score: panoptic.queryScores[q],
                     area: finalReadouts.maskArea[q], fate: panoptic.queryFates[q])
        }.sorted { $0.score > $1.score || ($0.score == $1.score && $0.query < $1.query) }
        let semantic = semanticSegmentation(final, readouts: finalReadouts, size: size, options: options)
        let instances = instanceSegmentation(final, readouts: finalReadouts, size: size, options: options)
        let classes = semantic.histogram().map { (label: Int($0.key), pixels: $0.value) }
            .sorted { $0.pixels > $1.pixels || ($0.pixels == $1.pixels && $0.label < $1.label) }
        return ExplorerDocument(
            name: name, image: image, labels: model.config.labels, stuff: stuff, predictions: predictions, readouts: readouts, options: options, panoptic: panoptic,
            semantic: semantic, instances: instances,
            instanceMap: instanceLabelMap(instances, width: image.width, height: image.height),
            semanticClasses: classes,
            queries: rows)
    }

    /// The same predictions post-processed with other thresholds: panoptic and instance results, the
    /// queries' fates and the errors are made again from the cached logits; the model does not run.
    /// (Semantic segmentation has no threshold: it is kept.)
    /// `reference`: the final prediction's `referenceLogits`, kept by the caller across steps;
    /// `probabilities`: its `outputProbabilities` at the image's size for `new.maskResize`, likewise.
    public func reprocessed(options new: PostProcessingOptions, reference: Tensor? = nil, probabilities: Tensor? = nil) -> ExplorerDocument {
        guard new != options else { return self }
        var d = self
        d.options = new
        let size = OutputSize(height: image.height, width: image.width)
        let final = predictions.final, finalReadouts = readouts.last
        d.panoptic = panopticSegmentation(final, readouts: finalReadouts, stuffLabels: stuff, size: size, options: new, reference: reference,
                                          probabilities: probabilities)
        // The masks' areas do not depend on a threshold: only the fates change.
        let fates = d.panoptic.queryFates
        d.queries = queries.map { var row = $0; row.fate = fates[row.query]; return row }
        if new.threshold != options.threshold {
            let lowest = instancesAtLowest ?? (options.threshold, instances)
            if new.threshold >= lowest.threshold {
                d.instances = lowest.instances.filter { Double($0.score) >= new.threshold }
                d.instancesAtLowest = lowest
            } else {
                d.instances = instanceSegmentation(final, readouts: finalReadouts, size: size, options: new, reference: reference)
                d.instancesAtLowest = (new.threshold, d.instances)
            }
            d.instanceMap = instanceLabelMap(d.instances, width: image.width, height: image.height)
        }
        if let source = groundTruthSource {
            d = d.attaching(source.truth, imagePath: source.imagePath, maskThreshold: new.maskThreshold, reusing: errors)
        }
        return d
    }

    public func labelName(_ label: Int) -> String {
        label >= 0 && label < labels.count ? labels[label] : "no object"
    }
}
