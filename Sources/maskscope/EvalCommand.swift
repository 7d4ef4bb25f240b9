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

    @Option(help: ArgumentHelp("A checkpoint folder or cached hub repo id to run on the images. "
        + "Default (without --predictions): $MASKSCOPE_MODEL, else the shipped shapes-world model.", valueName: "folder|org/name"))
    var model: String?
    @Option(help: ArgumentHelp("Whose preprocessing to reproduce (as predict's --preprocess).", valueName: "backend"))
    var preprocess: PreprocessingBackend?
    @Option(name: .customLong("detectron2-config"), help: ArgumentHelp("For a detectron2 checkpoint: its detectron2 config YAML (as predict's).", valueName: "file.yaml"))
    var detectron2Config: String?
    @Option(help: ArgumentHelp(
        "Score saved predictions instead of running a model: a folder that `maskscope merge` combined (panoptic.json, "
            + "instances.json, the per-image PNGs; labels matched to the categories by name), or <image_id>.panoptic.png/.json, "
            + "<image_id>.semantic.png, <image_id>.instances.json with the ground truth's category ids (as --save-predictions writes them).",
        valueName: "folder"))
    var predictions: String?
    @Option(name: .customLong("panoptic-json"), help: "Ground truth: COCO panoptic JSON (images, annotations, categories).")
    var panopticJSON: String
    @Option(name: .customLong("panoptic-dir"), help: "Ground truth: the folder of panoptic PNGs.")
    var panopticDirectory: String
    @Option(help: "The folder of the images named in the JSON (needed with --model).")
    var images: String?
    @Option(help: "Write every figure (per class too) to this JSON file.")
    var json: String?
    @Option(help: "Evaluate only the first N images.")
    var limit: Int?
    @Option(name: .customLong("instance-threshold"), help: "Minimum instance score kept for mask AP (AP wants low scores too).")
    var instanceThreshold = 0.0
    @OptionGroup var postProcessing: PostProcessingArguments
    @Option(name: .customLong("save-predictions"), help: ArgumentHelp(
        "Also write what was scored, with the ground truth's category ids: <image_id>.panoptic.png/.json, "
            + "<image_id>.semantic.png and <image_id>.instances.json (what Tools/shapes-world/eval_reference.py reads).",
        valueName: "folder"))
    var savePredictions: String?
    @Flag(help: "Replace the --json file and saved predictions if they exist.")
    var overwrite = false

    func validate() throws {
        if model != nil && predictions != nil { throw ValidationError("give either --model (with --images) or --predictions, not both") }
        if predictions == nil && images == nil { throw ValidationError("running a model needs --images (or score saved predictions with --predictions)") }
        if predictions != nil && savePredictions != nil { throw ValidationError("--save-predictions goes with --model") }
        if let limit, limit < 1 { throw ValidationError("--limit must be a positive number of images, not \(limit)") }
        if !(0...1).contains(instanceThreshold) { throw ValidationError("--instance-threshold must be between 0 and 1, not \(instanceThreshold)") }
    }

    func run() throws {
        try reportingErrors {
            let policy: OverwritePolicy = overwrite ? .replace : .refuse
            if let json { try FileBatch.checkDestinations([json], overwrite: policy) }
            let truth = try JSONFile.decode(CocoPanopticDataset.self, path: panopticJSON, expecting: "a COCO panoptic JSON")
            let loaded = predictions == nil ? try Mask2FormerModel(model: model ?? ShippedAssets.defaultModel(), labelCatalog: DatasetCatalog.detectron2Labels, preprocessing: preprocess, detectron2Config: try detectron2Config.map(Detectron2ConfigFile.load(path:))) : nil
            let merged = try predictions.flatMap { folder in
                fileExists(folder + "/panoptic.json") ? try MergedPredictions(folder: folder) : nil
            }
            let labels = loaded?.config.labels ?? []
            let categories = truth.categories.map(PanopticCategory.init)
            // Model label → ground-truth category, by name.
            let categoryByName = Dictionary(categories.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let categoryOfLabel = labels.map { categoryByName[$0] }
            if loaded != nil && !categoryOfLabel.contains(where: { $0 != nil }) {
                throw ValidationError("none of the model's labels (\(labels.prefix(4).joined(separator: ", ")), …) names a category of \(panopticJSON)")
            }
            let stuff = Set(labels.indices.filter { categoryOfLabel[$0].map { !$0.isThing } ?? false })
            let categoryIndex = Dictionary(categories.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
            let imagesByID = Dictionary(truth.images.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            // In the order of the JSON's "images": COCOeval breaks score ties between images that way.
            let position = Dictionary(truth.images.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
            var annotations = truth.annotations.sorted { (position[$0.image_id] ?? .max) < (position[$1.image_id] ?? .max) }
            if let limit { annotations = Array(annotations.prefix(limit)) }
            if let savePredictions { try Directories.create(savePredictions) }

            var quality = PanopticQualityAccumulator()
            var perImage: [String: PanopticImageScores] = [:]
            var confusion = ConfusionMatrix(classes: categories.count)
            var precision = MaskAveragePrecision(categories: categories.filter(\.isThing).map(\.id))
            let processor = loaded.map { ImageProcessor(config: $0.processorConfig) }
            let progress = ProgressReporter(total: annotations.count)
            for annotation in annotations {
                guard let entry = imagesByID[annotation.image_id] else {
                    progress.finished(annotation.file_name, error: "\(annotation.file_name): no image with this image_id in \(panopticJSON)")
                    continue
                }
                do {
                    let truthPNG = try loadImage(path: panopticDirectory + "/" + annotation.file_name)
                    let (width, height) = (truthPNG.width, truthPNG.height)
                    let truthIDs = panopticIDs(truthPNG)
                    let truthFile = panopticDirectory + "/" + annotation.file_name
                    try PanopticConsistency.check(ids: truthIDs, segments: annotation.segments_info.map { ($0.id, $0.category_id) },
                                                  categories: categoryIndex, png: truthFile, json: panopticJSON)
                    let scored: ScoredPrediction
                    if let loaded, let processor, let images {
                        scored = try predict(loaded, processor: processor, imagePath: images + "/" + entry.file_name, width: width, height: height,
                                             categoryOfLabel: categoryOfLabel, stuff: stuff, categories: categories, categoryIndex: categoryIndex)
                    } else {
                        scored = try merged.map { try $0.scored(imageID: annotation.image_id.key, fileName: entry.file_name, width: width, height: height,
                                                                 categories: categories, categoryIndex: categoryIndex) }
                            ?? readPredictions(predictions!, imageID: annotation.image_id.key, width: width, height: height, categoryIndex: categoryIndex)
                    }
                    let (predictedIDs, predictedSegments, predictedSemantic, detections) =
                        (scored.panoptic, scored.segments, scored.semantic, scored.detections)
                    let truthSegments = annotation.segments_info.map(PanopticSegmentInfo.init)
                    let matching = PanopticMatching(groundTruth: truthIDs, groundTruthSegments: truthSegments,
                                                    prediction: predictedIDs, predictionSegments: predictedSegments)
                    quality.add(matching)
                    perImage[annotation.image_id.key] = PanopticImageScores(matching, categories: categories)

                    // Semantic, in ground-truth category order; VOID pixels are −1 and ignored.
                    let categoryOfSegment = Dictionary(truthSegments.map { (Int32($0.id), categoryIndex[$0.categoryID] ?? -1) }, uniquingKeysWith: { a, _ in a })
                    let truthSemantic = truthIDs.map { Int32(categoryOfSegment[$0] ?? -1) }
                    confusion.add(groundTruth: truthSemantic, prediction: predictedSemantic)

                    // Mask AP over thing categories.
                    let things = truthSegments.filter { segment in categories.first { $0.id == segment.categoryID }?.isThing ?? false }
                    let truthInstances = things.map { segment in
                        let bits = truthIDs.map { $0 == Int32(segment.id) ? UInt8(1) : 0 }
                        return GroundTruthInstance(id: segment.id, categoryID: segment.categoryID, isCrowd: segment.isCrowd,
                                                   area: segment.area, mask: BinaryMask(width: width, height: height, bits: bits))
                    }
                    precision.add(groundTruth: truthInstances, detections: detections)
                    if let savePredictions {
                        try save(into: savePredictions, imageID: annotation.image_id.key, panoptic: predictedIDs, segments: predictedSegments,
                                 semantic: predictedSemantic.map { $0 < 0 ? -1 : Int32(categories[Int($0)].id) },
                                 detections: detections, width: width, height: height, policy: policy)
                    }
                    progress.finished(entry.file_name)
                } catch {
                    progress.finished(entry.file_name, error: "\(entry.file_name): \(error)")
                }
            }
            let report = EvaluationReport(categories: categories, quality: quality, confusion: confusion, precision: precision,
                                          images: annotations.count - progress.failed.count, perImage: perImage)
            print(report.table())
            if let json { try AtomicFile.write(try report.json(), to: json, overwrite: policy) }
            printError(progress.summary)
            if !progress.failed.isEmpty { throw ExitCode(1) }
        }
    }

    /// The predictions exactly as scored, in the formats of `maskscope segment`, with category ids.
    func save(into folder: String, imageID: String, panoptic: [Int32], segments: [PanopticSegmentInfo], semantic: [Int32],
              detections: [DetectedInstance], width: Int, height: Int, policy: OverwritePolicy) throws {
        let base = folder + "/" + imageID
        var batch = FileBatch(overwrite: policy)
        batch.add(try encodePNG(try panopticPNGImage(ids: panoptic, width: width, height: height)), at: base + ".panoptic.png")
        let annotation = CocoPanopticAnnotation(image_id: .text(imageID), file_name: imageID + ".panoptic.png",
                                                segments_info: segments.map { CocoPanopticSegment(id: $0.id, category_id: $0.categoryID, iscrowd: 0) })
        batch.add(try Self.encodeCompact(annotation), at: base + ".panoptic.json")
        // Category ids up to 65534; 65535 marks pixels whose label has no category.
        let samples = semantic.map { $0 < 0 ? UInt16.max : UInt16(clamping: $0) }
        batch.add(try encodeGreyPNG(width: width, height: height, samples16: samples), at: base + ".semantic.png")
        let results = detections.map { detection in
            CocoInstanceResult(image_id: .text(imageID), category_id: detection.categoryID, segmentation: cocoRLE(detection.mask), score: detection.score)
        }
        batch.add(try Self.encodeCompact(results), at: base + ".instances.json")
        try batch.commit()
    }

    static func encodeCompact<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// One image's predictions in ground-truth category terms.
    struct ScoredPrediction {
        var panoptic: [Int32]
        var segments: [PanopticSegmentInfo]
        /// Ground-truth category index per pixel (−1: no category).
        var semantic: [Int32]
        var detections: [DetectedInstance]
    }

    /// A panoptic prediction in ground-truth terms: each (segment id, model label) gets its label's category;
    /// a segment whose label is no category of the dataset becomes VOID (its pixels 0).
    static func inCategories(ids: [Int32], segments: [(id: Int, label: Int)],
                             category: (Int) -> PanopticCategory?) -> (ids: [Int32], segments: [PanopticSegmentInfo]) {
        var ids = ids
        var kept: [PanopticSegmentInfo] = []
        var dropped = Set<Int32>()
        for segment in segments {
            if let category = category(segment.label) {
                kept.append(PanopticSegmentInfo(id: segment.id, categoryID: category.id))
            } else { dropped.insert(Int32(segment.id)) }
        }
        if !dropped.isEmpty { for i in ids.indices where dropped.contains(ids[i]) { ids[i] = 0 } }
        return (ids, kept)
    }

    /// Runs the model and maps its labels to the ground truth's categories.
    func predict(_ model: Mask2FormerModel, processor: ImageProcessor, imagePath: String, width: Int, height: Int,
                 categoryOfLabel: [PanopticCategory?], stuff: Set<Int>, categories: [PanopticCategory],
                 categoryIndex: [Int: Int]) throws -> ScoredPrediction {
        let picture = try loadImage(path: imagePath)
        guard picture.width == width, picture.height == height else {
            throw ValidationError("\(imagePath) is \(picture.width)×\(picture.height) but its panoptic PNG is \(width)×\(height)")
        }
        _ = try model.checkedInputSize(imageHeight: picture.height, imageWidth: picture.width)
        let prediction = model.forward(processor.preprocess(picture)).final
        let readouts = QueryReadouts(prediction)
        let size = OutputSize(height: height, width: width)
        let options = postProcessing.options
        // Panoptic: predicted segments keep their ids; labels without a category become VOID.
        let panoptic = panopticSegmentation(prediction, readouts: readouts, stuffLabels: stuff, size: size, options: options)
        let (ids, segments) = Self.inCategories(ids: panoptic.map.values, segments: panoptic.segments.map { (Int($0.id), $0.label) },
                                                category: { categoryOfLabel[$0] })
        let semantic = semanticSegmentation(prediction, readouts: readouts, size: size, options: options).values.map { label in
            Int32(categoryOfLabel[Int(label)].flatMap { categoryIndex[$0.id] } ?? -1)
        }
        var instanceOptions = options
        instanceOptions.threshold = instanceThreshold
        let detections = instanceSegmentation(prediction, readouts: readouts, size: size, options: instanceOptions).compactMap { instance -> DetectedInstance? in
            guard let category = categoryOfLabel[instance.label], category.isThing else { return nil }
            return DetectedInstance(categoryID: category.id, score: Double(instance.score), mask: instance.mask)
        }
        return ScoredPrediction(panoptic: ids, segments: segments, semantic: semantic, detections: detections)
    }

    /// Reads one image's saved predictions (the --save-predictions layout).
    func readPredictions(_ folder: String, imageID: String, width: Int, height: Int, categoryIndex: [Int: Int]) throws -> ScoredPrediction {
        let base = folder + "/" + imageID
        let png = try loadImage(path: base + ".panoptic.png")
        guard png.width == width, png.height == height else {
            throw ValidationError("\(base).panoptic.png is \(png.width)×\(png.height), the ground truth \(width)×\(height)")
        }
        let annotation = try JSONFile.decode(CocoPanopticAnnotation.self, path: base + ".panoptic.json", expecting: "a panoptic segments JSON")
        let ids = panopticIDs(png)
        try PanopticConsistency.check(ids: ids, segments: annotation.segments_info.map { ($0.id, $0.category_id) },
                                      categories: categoryIndex, png: base + ".panoptic.png", json: base + ".panoptic.json",
                                      everySegmentDrawn: true)
        let semanticPNG = try loadLabelPNG(path: base + ".semantic.png")
        guard semanticPNG.width == width, semanticPNG.height == height else {
            throw ValidationError("\(base).semantic.png is \(semanticPNG.width)×\(semanticPNG.height), the ground truth \(width)×\(height)")
        }
        // 65535 marks pixels without a category (as `save` writes them); any other unknown id is an error.
        var semantic = [Int32](repeating: -1, count: semanticPNG.values.count)
        for (i, value) in semanticPNG.values.enumerated() where value != 65535 {
            guard let index = categoryIndex[Int(value)] else {
                throw FileError.invalidContent(path: base + ".semantic.png", reason: "category id \(value) is not a category of \(panopticJSON)")
            }
            semantic[i] = Int32(index)
        }
        var detections: [DetectedInstance] = []
        if fileExists(base + ".instances.json") {
            let results = try JSONFile.decode([CocoInstanceResult].self, path: base + ".instances.json", expecting: "a COCO instance results list")
            detections = try results.map { result in
                guard categoryIndex[result.category_id] != nil else {
                    throw FileError.invalidContent(path: base + ".instances.json",
                                                   reason: "category_id \(result.category_id) is not a category of \(panopticJSON)")
                }
                guard result.score.isFinite else {
                    throw FileError.invalidContent(path: base + ".instances.json", reason: "a score is \(result.score), not a number")
                }
                return DetectedInstance(categoryID: result.category_id, score: result.score, mask: try decodeCocoRLE(result.segmentation))
            }
        }
        return ScoredPrediction(panoptic: ids, segments: annotation.segments_info.map { PanopticSegmentInfo(id: $0.id, categoryID: $0.category_id) },
                                semantic: semantic, detections: detections)
    }
}
