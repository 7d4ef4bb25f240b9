// `maskscope segment`: semantic, instance and panoptic results for many images, in the formats
// other tools read, with progress, per-image failures reported and skipped, and sharding.

import ArgumentParser
import FileIO
import Foundation
import Imaging
import Mask2Former
import Segmentation
import Themes

enum SegmentationTask: String, ExpressibleByArgument, CaseIterable {
    case panoptic, semantic, instance, all
}

struct Shard: ExpressibleByArgument {
    var index: Int
    var count: Int
    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }
}

extension MaskResize: ExpressibleByArgument {}

/// Thresholds and label options shared by every command that post-processes.
struct PostProcessingArguments: ParsableArguments {
    @Option(help: "Keep a query whose class score (panoptic) or class × mask score (instance) reaches this.")
    var threshold = 0.5
    @Option(name: .customLong("mask-threshold"), help: "Mask probability counted as inside (panoptic overlap check).")
    var maskThreshold = 0.5
    @Option(name: .customLong("overlap-threshold"), help: "A panoptic segment must keep more than this share of its own mask.")
    var overlapThreshold = 0.8
    @Option(name: .customLong("mask-resize"), help: "via-384: as transformers (logits → 384×384 → image size); direct: one resize.")
    var maskResize: MaskResize = .via384
    @Option(name: .customLong("stuff-labels"), help: ArgumentHelp(
        "Comma-separated label names or ids merged into one segment per class (default: from the known dataset the labels match).",
        valueName: "names|ids"))
    var stuffLabels: String?

    var options: PostProcessingOptions {
        PostProcessingOptions(threshold: threshold, maskThreshold: maskThreshold, overlapThreshold: overlapThreshold, maskResize: maskResize)
    }

    /// Stuff label ids, and a note saying where they came from.
    func stuff(labels: [String]) throws -> (ids: Set<Int>, source: String) {
        if let stuffLabels {
            var ids: Set<Int> = []
            for item in stuffLabels.split(separator: ",").map({ String($0) }) where !item.isEmpty {
                if let id = Int(item), id >= 0, id < labels.count {
                    ids.insert(id)
                } else if let id = labels.firstIndex(of: item) {
                    ids.insert(id)
                } else {
                    throw ValidationError("--stuff-labels: '\(item)' is neither a label of this model nor an id 0…\(labels.count - 1)")
                }
            }
            return (ids, "--stuff-labels")
        }
        if let dataset = DatasetCatalog.matching(labels: labels) {
            return (dataset.stuffIDs, dataset.title)
        }
        return ([], "no known dataset matches the labels: every class is a thing (pass --stuff-labels)")
    }
}

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Write semantic, instance and panoptic results for images and folders of images.",
        discussion: """
            Per image NAME, under --out: NAME.panoptic.png (segment id = R + 256·G + 256²·B) and NAME.panoptic.json \
            (COCO panoptic segments_info), NAME.semantic.png (class ids) and NAME.semantic.color.png, \
            NAME.instances.json (COCO results, compressed RLE), and NAME.<task>.overlay.png for each task. \
            Folders are walked recursively.
            """)

    @Argument(help: "Images (PNG, JPEG) and folders.")
    var inputs: [String]

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var postProcessing: PostProcessingArguments

    @Option(help: "panoptic, semantic, instance or all.")
    var task: SegmentationTask = .panoptic

    @Option(help: "Folder for the results (created if missing).")
    var out: String

    @Option(help: ArgumentHelp("Process only the K-th of N disjoint slices of the inputs.", valueName: "K/N"))
    var shard: Shard?

    @Option(help: "Theme for overlays and colourised maps (see Themes/).")
    var theme = "default"

    @Flag(help: "Replace existing results.")
    var overwrite = false

    @Flag(name: .customLong("skip-existing"), help: "Skip images whose results all exist (resume an interrupted run).")
    var skipExisting = false

    func validate() throws {
        if overwrite && skipExisting { throw ValidationError("--overwrite and --skip-existing contradict each other") }
    }

    func run() throws {
        let failures = try reportingErrors { () throws -> Int in
            var images = try ImageInputs.collect(inputs)
            if let shard { images = ImageInputs.shard(images, index: shard.index, count: shard.count) }
            let model = try modelOptions.load()
            let style = try overlayStyle()
            let labels = model.config.labels
            let stuff = try postProcessing.stuff(labels: labels)
            if !isDirectory(out) { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
            printError("segmenting \(images.count) image(s) with \(model.location.name), task \(task.rawValue); stuff classes: \(stuff.source)")
            let processor = ImageProcessor(config: model.processorConfig)
            let progress = ProgressReporter(total: images.count)
            for image in images {
                let base = out + "/" + image.outputStem
                let outputs = outputPaths(base: base)
                if skipExisting && outputs.allSatisfy(fileExists) {
                    progress.finished(image.path, note: " (skipped: results exist)")
                    continue
                }
                do {
                    try ResultWriter.checkWritable(outputs, overwrite: overwrite ? .replace : .refuse)
                    try FileManager.default.createDirectory(atPath: (base as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    let (_, seconds) = try measure {
                        try segment(image, base: base, model: model, processor: processor, labels: labels, stuff: stuff.ids, style: style)
                    }
                    progress.finished(image.path, note: String(format: " (%.2f s)", seconds))
                } catch {
                    // Errors from decoding already name the file; others get its path in front.
                    let message = "\(error)"
                    progress.finished(image.path, error: message.contains(image.path) ? message : "\(image.path): \(message)")
                }
            }
            printError(progress.summary)
            return progress.failed.count
        }
        if failures > 0 { throw ExitCode(1) }
    }

    func outputPaths(base: String) -> [String] {
        var paths: [String] = []
        if task == .panoptic || task == .all { paths += [base + ".panoptic.png", base + ".panoptic.json", base + ".panoptic.overlay.png"] }
        if task == .semantic || task == .all { paths += [base + ".semantic.png", base + ".semantic.color.png", base + ".semantic.overlay.png"] }
        if task == .instance || task == .all { paths += [base + ".instances.json", base + ".instances.overlay.png"] }
        return paths
    }

    func overlayStyle() throws -> OverlayStyle {
        let chosen = try ThemeLoader.load(named: theme)
        return OverlayStyle(palette: SegmentPalette(colors: chosen.segments), opacity: chosen.overlayOpacity, boundary: chosen.boundary)
    }

    func segment(_ input: ImageInput, base: String, model: Mask2FormerModel, processor: ImageProcessor,
                 labels: [String], stuff: Set<Int>, style: OverlayStyle) throws {
        let picture = try loadImage(path: input.path)
        let prediction = model.forward(processor.preprocess(picture)).final
        let size = OutputSize(height: picture.height, width: picture.width)
        let options = postProcessing.options
        let policy: OverwritePolicy = overwrite ? .replace : .refuse
        let imageID = input.outputStem
        // Each task writes its results and an overlay of them at the image's resolution.
        if task == .panoptic || task == .all {
            let result = panopticSegmentation(prediction, stuffLabels: stuff, size: size, options: options)
            try ResultWriter.writePanoptic(result, labels: labels, imageID: imageID, basePath: base + ".panoptic", overwrite: policy)
            let overlay = try renderOverlay(image: picture, map: result.map, style: style) { id in
                id == 0 ? nil : style.palette.color(Int(id) - 1)
            }
            try writePNG(overlay, to: base + ".panoptic.overlay.png", overwrite: policy)
        }
        if task == .semantic || task == .all {
            let map = semanticSegmentation(prediction, size: size, options: options)
            try ResultWriter.writeSemantic(map, classCount: labels.count, palette: style.palette, basePath: base + ".semantic", overwrite: policy)
            let overlay = try renderOverlay(image: picture, map: map, style: style) { style.palette.color(Int($0)) }
            try writePNG(overlay, to: base + ".semantic.overlay.png", overwrite: policy)
        }
        if task == .instance || task == .all {
            let instances = instanceSegmentation(prediction, size: size, options: options)
            try ResultWriter.writeInstances(instances, labels: labels, imageID: imageID, path: base + ".instances.json", overwrite: policy)
            let map = instanceLabelMap(instances, width: picture.width, height: picture.height)
            let overlay = try renderOverlay(image: picture, map: map, style: style) { $0 < 0 ? nil : style.palette.color(Int($0)) }
            try writePNG(overlay, to: base + ".instances.overlay.png", overwrite: policy)
        }
    }
}
