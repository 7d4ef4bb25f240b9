// `maskscope predict IMAGE`: run the model once, print a one-screen summary, optionally dump every
// layer's logits in the format outside tools compare against.

import ArgumentParser
import FileIO
import Foundation
import Imaging
import Mask2Former
import Safetensors
import Segmentation
import TensorCore

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run Mask2Former on one image and summarise its prediction.")

    @Argument(help: "A PNG or JPEG image.")
    var image: String

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("save-logits"), help: ArgumentHelp(
        "Write pixel_values, class_logits.L and mask_logits.L (L = 0…layers) to this safetensors file.",
        valueName: "file.safetensors"))
    var saveLogits: String?

    @Flag(help: "Replace the --save-logits file if it exists.")
    var overwrite = false

    @Option(help: "How many queries to list.")
    var top = 10

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more, not \(top)") }
    }

    func run() throws {
        try reportingErrors {
            // Refused before the model runs: an existing file (without --overwrite), a device, a missing folder.
            if let saveLogits { try FileBatch.checkDestinations([saveLogits], overwrite: overwrite ? .replace : .refuse) }
            let (model, loadTime) = try measure { try modelOptions.load() }
            let (picture, decodeTime) = try measure { try loadImage(path: image) }
            let processor = ImageProcessor(config: model.processorConfig)
            _ = try model.checkedInputSize(imageHeight: picture.height, imageWidth: picture.width)
            let (pixelValues, preprocessTime) = measure { processor.preprocess(picture) }
            let predictions = model.forward(pixelValues)

            if let saveLogits {
                var writer = SafetensorsWriter()
                writer.add("pixel_values", pixelValues)
                for (l, layer) in predictions.layers.enumerated() {
                    writer.add("class_logits.\(l)", layer.classLogits)
                    writer.add("mask_logits.\(l)", layer.maskLogits)
                }
                try writer.write(to: saveLogits, overwrite: overwrite ? .replace : .refuse)
            }

            let timings = predictions.timings
            var lines: [String] = []
            lines.append("model    \(model.location.name)  (\(model.config.backbone.summary), \(model.config.numQueries) queries, \(model.config.numLabels) labels, \(formatCount(model.parameterCount)) parameters)")
            lines.append("image    \(image)  \(picture.width)×\(picture.height) → input \(predictions.inputWidth)×\(predictions.inputHeight)")
            lines.append("time     load \(formatDuration(loadTime)) · decode \(formatDuration(decodeTime)) · preprocess \(formatDuration(preprocessTime)) · backbone \(formatDuration(timings.backbone)) · pixel decoder \(formatDuration(timings.pixelDecoder)) · transformer decoder \(formatDuration(timings.transformerDecoder)) · inference \(formatDuration(timings.total))")
            lines.append("layers   \(predictions.layers.count) predictions (L = 0 from the query features, \(predictions.layers.count - 1) from the decoder layers)")
            if let saveLogits { lines.append("logits   \(saveLogits)") }
            lines.append("")
            lines.append("top queries of the final layer (score = class probability, mask = share of pixels with logit > 0)")
            lines.append("  query  label                     score    mask")
            for summary in QuerySummary.ranked(predictions.final, labels: model.config.labels).prefix(top) {
                lines.append(String(format: "  %5d  %@  %.3f  %5.1f%%", summary.query,
                                    summary.label.padding(toLength: 24, withPad: " ", startingAt: 0) as NSString,
                                    summary.score, summary.maskArea * 100))
            }
            print(lines.joined(separator: "\n"))
        }
    }
}

/// One query's final answer (from the layer's `QueryReadouts`): its most likely real class and how
/// much of the image its mask covers.
struct QuerySummary {
    var query: Int
    var label: String
    var score: Float
    var maskArea: Float

    static func ranked(_ prediction: LayerPrediction, labels: [String]) -> [QuerySummary] {
        let readouts = QueryReadouts(prediction)
        return (0..<readouts.queryCount).map { q in
            let best = readouts.bestRealClass(query: q)
            return QuerySummary(query: q, label: best.label < labels.count ? labels[best.label] : "class \(best.label)",
                                score: best.probability, maskArea: readouts.maskArea[q])
        }
        .sorted { $0.score > $1.score || ($0.score == $1.score && $0.query < $1.query) }
    }
}

func formatCount(_ count: Int) -> String {
    if count >= 1_000_000 { return String(format: "%.1f M", Double(count) / 1e6) }
    if count >= 1_000 { return String(format: "%.1f k", Double(count) / 1e3) }
    return "\(count)"
}
