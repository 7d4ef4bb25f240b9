// `maskscope eval`: PQ/SQ/RQ (panopticapi), semantic mIoU and mask AP (pycocotools) of a model on a
// dataset in the COCO panoptic layout, printed as a table and optionally written as JSON.

import ArgumentParser
import Evaluation
import FileIO
import Foundation
import Imaging
import Mask2Former
import Segmentation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure PQ, SQ, RQ, semantic mIoU and mask AP on a COCO-panoptic-layout dataset.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("panoptic-json"), help: "Ground truth: COCO panoptic JSON (images, annotations, categories).")
    var panopticJSON: String
    @Option(name: .customLong("panoptic-dir"), help: "Ground truth: the folder of panoptic PNGs.")
    var panopticDirectory: String
    @Option(help: "The folder of the images named in the JSON.")
    var images: String
    @Option(help: "Write every figure (per class too) to this JSON file.")
    var json: String?
    @Option(help: "Evaluate only the first N images.")
    var limit: Int?
    @Option(name: .customLong("instance-threshold"), help: "Minimum instance score kept for mask AP (AP wants low scores too).")
    var instanceThreshold = 0.0
    @OptionGroup var postProcessing: PostProcessingArguments
    @Flag(help: "Replace the --json file if it exists.")
    var overwrite = false

    struct GroundTruth: Decodable {
        struct Image: Decodable { var id: ImageID; var file_name: String; var height: Int?; var width: Int? }
        struct Segment: Decodable { var id: Int; var category_id: Int; var iscrowd: Int?; var area: Int? }
        struct Annotation: Decodable { var image_id: ImageID; var file_name: String; var segments_info: [Segment] }
        struct Category: Decodable { var id: Int; var name: String; var isthing: Int? }
        var images: [Image]
        var annotations: [Annotation]
        var categories: [Category]
    }

    /// COCO image ids are integers, some datasets use strings; both sort the way COCOeval sorts them.
    enum ImageID: Decodable, Hashable, Comparable {
        case number(Int), text(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
        }
    }

    func run() throws {
        try reportingErrors {
            if let json, !overwrite, fileExists(json) { throw FileError.wouldOverwrite(path: json) }
            let truth: GroundTruth
            do {
                truth = try JSONDecoder().decode(GroundTruth.self, from: Data(contentsOf: URL(fileURLWithPath: panopticJSON)))
            } catch let error as DecodingError {
                throw ValidationError("\(panopticJSON): not a COCO panoptic JSON (\(error))")
            } catch {
                throw FileError.unreadable(path: panopticJSON, reason: "\(error.localizedDescription)")
            }
            let model = try modelOptions.load()
            let labels = model.config.labels
            let categories = truth.categories.map { PanopticCategory(id: $0.id, name: $0.name, isThing: ($0.isthing ?? 0) == 1) }
            // Model label → ground-truth category, by name.
            let categoryByName = Dictionary(categories.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let categoryOfLabel = labels.map { categoryByName[$0] }
            guard categoryOfLabel.contains(where: { $0 != nil }) else {
                throw ValidationError("none of the model's labels (\(labels.prefix(4).joined(separator: ", ")), …) names a category of \(panopticJSON)")
            }
            let stuff = Set(labels.indices.filter { categoryOfLabel[$0].map { !$0.isThing } ?? false })
            let categoryIndex = Dictionary(categories.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
            let imagesByID = Dictionary(truth.images.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var annotations = truth.annotations.sorted { $0.image_id < $1.image_id }
            if let limit { annotations = Array(annotations.prefix(limit)) }

            var quality = PanopticQualityAccumulator()
            var confusion = ConfusionMatrix(classes: categories.count)
            var precision = MaskAveragePrecision(categories: categories.filter(\.isThing).map(\.id))
            let processor = ImageProcessor(config: model.processorConfig)
            let progress = ProgressReporter(total: annotations.count)
            let options = postProcessing.options
            for annotation in annotations {
                guard let entry = imagesByID[annotation.image_id] else {
                    progress.finished(annotation.file_name, error: "\(annotation.file_name): no image with this image_id in \(panopticJSON)")
                    continue
                }
                do {
                    let picture = try loadImage(path: images + "/" + entry.file_name)
                    let truthPNG = try loadImage(path: panopticDirectory + "/" + annotation.file_name)
                    guard truthPNG.width == picture.width, truthPNG.height == picture.height else {
                        throw ValidationError("\(annotation.file_name) is \(truthPNG.width)×\(truthPNG.height) but its image is \(picture.width)×\(picture.height)")
                    }
                    let truthIDs = (0..<(picture.width * picture.height)).map { i in
                        Int32(truthPNG.pixels[3 * i]) | Int32(truthPNG.pixels[3 * i + 1]) << 8 | Int32(truthPNG.pixels[3 * i + 2]) << 16
                    }
                    let prediction = model.forward(processor.preprocess(picture)).final
                    let size = OutputSize(height: picture.height, width: picture.width)

                    // Panoptic: predicted segments keep their ids; labels without a category become VOID.
                    let panoptic = panopticSegmentation(prediction, stuffLabels: stuff, size: size, options: options)
                    var predictedIDs = panoptic.map.values
                    var predictedSegments: [PanopticSegmentInfo] = []
                    var dropped = Set<Int32>()
                    for segment in panoptic.segments {
                        if let category = categoryOfLabel[segment.label] {
                            predictedSegments.append(PanopticSegmentInfo(id: Int(segment.id), categoryID: category.id))
                        } else { dropped.insert(segment.id) }
                    }
                    if !dropped.isEmpty { for i in predictedIDs.indices where dropped.contains(predictedIDs[i]) { predictedIDs[i] = 0 } }
                    let truthSegments = annotation.segments_info.map {
                        PanopticSegmentInfo(id: $0.id, categoryID: $0.category_id, isCrowd: ($0.iscrowd ?? 0) == 1, area: $0.area ?? 0)
                    }
                    quality.add(groundTruth: truthIDs, groundTruthSegments: truthSegments, prediction: predictedIDs, predictionSegments: predictedSegments)

                    // Semantic, in ground-truth category order; VOID pixels are −1 and ignored.
                    let categoryOfSegment = Dictionary(truthSegments.map { (Int32($0.id), categoryIndex[$0.categoryID] ?? -1) }, uniquingKeysWith: { a, _ in a })
                    let truthSemantic = truthIDs.map { Int32(categoryOfSegment[$0] ?? -1) }
                    let semantic = semanticSegmentation(prediction, size: size, options: options)
                    let predictedSemantic = semantic.values.map { label in Int32(categoryOfLabel[Int(label)].flatMap { categoryIndex[$0.id] } ?? -1) }
                    confusion.add(groundTruth: truthSemantic, prediction: predictedSemantic)

                    // Mask AP over thing categories.
                    var instanceOptions = options
                    instanceOptions.threshold = instanceThreshold
                    let detections = instanceSegmentation(prediction, size: size, options: instanceOptions).compactMap { instance -> DetectedInstance? in
                        guard let category = categoryOfLabel[instance.label], category.isThing else { return nil }
                        return DetectedInstance(categoryID: category.id, score: Double(instance.score), mask: instance.mask)
                    }
                    let things = truthSegments.filter { segment in categories.first { $0.id == segment.categoryID }?.isThing ?? false }
                    let truthInstances = things.map { segment in
                        let bits = truthIDs.map { $0 == Int32(segment.id) ? UInt8(1) : 0 }
                        return GroundTruthInstance(id: segment.id, categoryID: segment.categoryID, isCrowd: segment.isCrowd,
                                                   area: segment.area, mask: BinaryMask(width: picture.width, height: picture.height, bits: bits))
                    }
                    precision.add(groundTruth: truthInstances, detections: detections)
                    progress.finished(entry.file_name)
                } catch {
                    progress.finished(entry.file_name, error: "\(entry.file_name): \(error)")
                }
            }
            let report = EvaluationReport(categories: categories, quality: quality, confusion: confusion, precision: precision,
                                          images: annotations.count - progress.failed.count)
            print(report.table())
            if let json { try AtomicFile.write(try report.json(), to: json, overwrite: overwrite ? .replace : .refuse) }
            printError(progress.summary)
            if !progress.failed.isEmpty { throw ExitCode(1) }
        }
    }
}
