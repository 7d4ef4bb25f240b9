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

    /// Probabilities and shares: NaN or a value outside 0…1 would silently keep everything or nothing.
    func validate() throws {
        for (name, value) in [("--threshold", threshold), ("--mask-threshold", maskThreshold), ("--overlap-threshold", overlapThreshold)]
        where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1, not \(value)")
        }
    }

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
        if let dataset = try DatasetCatalog.matching(labels: labels) {
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

    @Option(help: ArgumentHelp(
        "Process only the K-th of N disjoint slices of the inputs. Without it, the task index and count of a "
            + "Slurm array, Kubernetes Indexed Job, AWS Batch array or Cloud Run job are used when set.", valueName: "K/N"))
    var shard: Shard?

    @Option(name: .customLong("shard-count"), help: ArgumentHelp(
        "The number of tasks, for schedulers that give only an index (Kubernetes JOB_COMPLETION_INDEX); "
            + "also $\(ShardSelection.countVariable).", valueName: "N"))
    var shardCount: Int?

    @Option(help: "Theme for overlays and colourised maps (see Themes/).")
    var theme = "default"

    @Flag(help: "Replace existing results.")
    var overwrite = false

    @Flag(name: .customLong("skip-existing"), help: "Skip images whose results all exist (resume an interrupted run).")
    var skipExisting = false

    func validate() throws {
        if overwrite && skipExisting { throw ValidationError("--overwrite and --skip-existing contradict each other") }
        if let shardCount, shardCount < 1 { throw ValidationError("--shard-count must be at least 1, not \(shardCount)") }
    }

    func run() throws {
        var stoppedBy: Int32?
        let failures = try reportingErrors { () throws -> Int in
            let all = try ImageInputs.collect(inputs)
            let selection = try ShardSelection.resolve(explicit: shard, shardCount: shardCount,
                                                       environment: ProcessInfo.processInfo.environment)
            let images = selection.map { ImageInputs.shard(all, index: $0.index, count: $0.count) } ?? all
            let positions = Dictionary(all.enumerated().map { ($0.element.outputStem, $0.offset) }, uniquingKeysWith: { a, _ in a })
            let model = try modelOptions.load()
            let style = try overlayStyle()
            let labels = model.config.labels
            let stuff = try postProcessing.stuff(labels: labels)
            try Directories.create(out)

            var manifest = SegmentManifest(
                shard: .init(index: selection?.index ?? 1, count: selection?.count ?? 1, source: selection?.source ?? "whole input"),
                provenance: try provenance(model: model, labels: labels, stuff: stuff.ids, all: all),
                started: SegmentManifest.timestamp(), updated: SegmentManifest.timestamp(), finished: false,
                images: images.map { .init(position: positions[$0.outputStem] ?? 0, path: $0.path, stem: $0.outputStem, status: .pending) })
            let manifestPath = out + "/" + SegmentManifest.fileName(index: manifest.shard.index, count: manifest.shard.count)
            try checkEarlierRun(manifestPath: manifestPath, provenance: manifest.provenance)

            Interruption.install()
            // A run killed outright (SIGKILL, power loss) leaves its temporary files: this run's images
            // own them, whichever task wrote them.
            let stale = TemporaryFiles.removeStale(for: images.flatMap { Self.outputPaths(base: out + "/" + $0.outputStem, task: .all) }
                                                        + [manifestPath])
            if !stale.isEmpty { printError("removed \(stale.count) temporary file(s) an interrupted run left in \(out)") }
            let slice = selection.map { "shard \($0.index)/\($0.count) from \($0.source): " } ?? ""
            printError("segmenting \(slice)\(images.count) image(s) with \(model.location.name), task \(task.rawValue); stuff classes: \(stuff.source)")
            try manifest.write(to: manifestPath)
            var lastSaved = Date()

            let processor = ImageProcessor(config: model.processorConfig)
            let progress = ProgressReporter(total: images.count)
            for (number, image) in images.enumerated() {
                if let signal = Interruption.signal { stoppedBy = signal; break }
                // The manifest is rewritten at most every 30 s: a record, not a log of every image.
                if Date().timeIntervalSince(lastSaved) > 30 {
                    manifest.updated = SegmentManifest.timestamp()
                    try manifest.write(to: manifestPath)
                    lastSaved = Date()
                }
                let base = out + "/" + image.outputStem
                let outputs = Self.outputPaths(base: base, task: task)
                var policy: OverwritePolicy = overwrite ? .replace : .refuse
                var note = ""
                if skipExisting {
                    // Done means every output is there; a partial image (a run killed mid-commit, or a
                    // different --task before) is redone, replacing only this image's own results.
                    let present = outputs.filter(fileExists).count
                    if present == outputs.count {
                        manifest.images[number].status = .done
                        progress.finished(image.path, note: " (skipped: results exist)")
                        continue
                    }
                    if present > 0 { policy = .replace; note = ", redone: \(outputs.count - present) of \(outputs.count) results were missing" }
                }
                do {
                    try Directories.create(parentDirectory(of: base))
                    try FileBatch.checkDestinations(outputs, overwrite: policy)
                    let (batch, seconds) = try measure {
                        try results(for: image, base: base, model: model, processor: processor, labels: labels, stuff: stuff.ids,
                                    style: style, overwrite: policy)
                    }
                    try batch.commit()
                    manifest.images[number].status = .done
                    manifest.images[number].seconds = (seconds * 1000).rounded() / 1000
                    progress.finished(image.path, note: String(format: " (%.2f s", seconds) + note + ")")
                } catch {
                    // Errors from decoding already name the file; others get its path in front.
                    let message = "\(error)"
                    let line = message.contains(image.path) || error is FileError ? message : "\(image.path): \(message)"
                    manifest.images[number].status = .failed
                    manifest.images[number].error = line
                    progress.finished(image.path, error: line)
                    // A full disk fails every image after this one too: stop, with nothing half written.
                    if case FileError.outOfSpace = error {
                        progress.end()
                        printError("stopped: the disk is full (the image's results were rolled back); free space and rerun with --skip-existing")
                        break
                    }
                }
            }
            if let stoppedBy {
                progress.end()
                printError("stopped by \(Interruption.name(of: stoppedBy)) after \(progress.done) of \(images.count) image(s); "
                    + "every finished image is complete: rerun the same command with --skip-existing to do the rest")
                manifest.stoppedBy = Interruption.name(of: stoppedBy)
            }
            manifest.finished = stoppedBy == nil && !manifest.images.contains { $0.status == .pending }
            manifest.updated = SegmentManifest.timestamp()
            do { try manifest.write(to: manifestPath) } catch { printError("\(error)") }
            printError(progress.summary)
            return progress.failed.count
        }
        if let stoppedBy { throw ExitCode(Interruption.exitStatus(for: stoppedBy)) }
        if failures > 0 { throw ExitCode(1) }
    }

    /// What made these results, as the manifest records it.
    func provenance(model: Mask2FormerModel, labels: [String], stuff: Set<Int>, all: [ImageInput]) throws -> SegmentManifest.Provenance {
        var inputs = Fingerprint()
        for input in all { inputs.add(input.outputStem) }
        let options = postProcessing.options
        return .init(model: model.location.name,
                     modelFingerprint: try Fingerprint.model(model.location),
                     task: task.rawValue, threshold: options.threshold, maskThreshold: options.maskThreshold,
                     overlapThreshold: options.overlapThreshold, maskResize: postProcessing.maskResize.rawValue,
                     stuffLabels: stuff.sorted(), labels: labels, totalImages: all.count, inputsFingerprint: inputs.hex)
    }

    /// Results made with another model or other options must not mix with these in one folder (a merge
    /// would combine them); resuming (--skip-existing) must also be over the same inputs. --overwrite
    /// starts afresh.
    func checkEarlierRun(manifestPath: String, provenance: SegmentManifest.Provenance) throws {
        guard fileExists(manifestPath), !overwrite else { return }
        let earlier: SegmentManifest
        do { earlier = try SegmentManifest.read(manifestPath) } catch {
            throw FileError.invalidContent(path: manifestPath, reason: "cannot read the earlier run's manifest (\(error)); pass --overwrite to start afresh")
        }
        var differences = provenance.differences(from: earlier.provenance)
        let inputsDiffer = differences.contains { $0.hasPrefix("input list") }
        if inputsDiffer && !skipExisting {
            differences.removeAll { $0.hasPrefix("input list") }
            if differences.isEmpty {
                printError("note: \(manifestPath) recorded a run over other inputs; it now records this one")
            }
        }
        if !differences.isEmpty {
            throw FileError.invalidContent(path: manifestPath, reason: "an earlier run wrote this folder with a different "
                + differences.joined(separator: ", ") + "; use another --out, or --overwrite to redo everything")
        }
    }

    /// Every file one image's results consist of, for `task`.
    static func outputPaths(base: String, task: SegmentationTask) -> [String] {
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

    /// One image's results, encoded and ready to be committed together.
    func results(for input: ImageInput, base: String, model: Mask2FormerModel, processor: ImageProcessor,
                 labels: [String], stuff: Set<Int>, style: OverlayStyle, overwrite: OverwritePolicy) throws -> FileBatch {
        let picture = try loadImage(path: input.path)
        // A processor that does not resize makes the input as large as the image: checked per image.
        _ = try model.checkedInputSize(imageHeight: picture.height, imageWidth: picture.width)
        let prediction = model.forward(processor.preprocess(picture)).final
        let readouts = QueryReadouts(prediction)
        let size = OutputSize(height: picture.height, width: picture.width)
        let options = postProcessing.options
        let imageID = input.outputStem
        var batch = FileBatch(overwrite: overwrite)
        // Each task writes its results and an overlay of them at the image's resolution.
        if task == .panoptic || task == .all {
            let result = panopticSegmentation(prediction, readouts: readouts, stuffLabels: stuff, size: size, options: options)
            try ResultWriter.addPanoptic(result, labels: labels, imageID: imageID, basePath: base + ".panoptic", to: &batch)
            let overlay = try renderOverlay(image: picture, map: result.map, style: style) { id in
                id == 0 ? nil : style.palette.color(Int(id) - 1)
            }
            batch.add(try encodePNG(overlay), at: base + ".panoptic.overlay.png")
        }
        if task == .semantic || task == .all {
            let map = semanticSegmentation(prediction, readouts: readouts, size: size, options: options)
            try ResultWriter.addSemantic(map, classCount: labels.count, palette: style.palette, basePath: base + ".semantic", to: &batch)
            let overlay = try renderOverlay(image: picture, map: map, style: style) { style.palette.color(Int($0)) }
            batch.add(try encodePNG(overlay), at: base + ".semantic.overlay.png")
        }
        if task == .instance || task == .all {
            let instances = instanceSegmentation(prediction, readouts: readouts, size: size, options: options)
            try ResultWriter.addInstances(instances, labels: labels, imageID: imageID, path: base + ".instances.json", to: &batch)
            let map = instanceLabelMap(instances, width: picture.width, height: picture.height)
            let overlay = try renderOverlay(image: picture, map: map, style: style) { $0 < 0 ? nil : style.palette.color(Int($0)) }
            batch.add(try encodePNG(overlay), at: base + ".instances.overlay.png")
        }
        return batch
    }
}
