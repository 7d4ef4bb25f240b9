// `maskscope bench`: time every stage of inference over repeated runs, with the GEMM work each stage
// issued (GFLOP/s), peak memory and the BLAS kernel in use. Prints figures; asserts nothing (timing
// belongs here, never in tests). Tools/bench.sh runs it alternately with the PyTorch reference.

import ArgumentParser
import Foundation
import Imaging
import Mask2Former
import Segmentation
import Explorer
import Themes
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

struct InputSize: ExpressibleByArgument {
    var height: Int
    var width: Int
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 <= 8192 }) else { return nil }
        (height, width) = (parts[0], parts[1])
    }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time preprocessing, each stage of inference and post-processing (median, min, max over runs).")

    @Argument(help: "A PNG or JPEG image (preprocessed as usual). Omit it to use --size.")
    var image: String?

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Model input size HxW, filled with seeded noise (no preprocessing).", valueName: "HxW"))
    var size: InputSize?

    @Option(help: "Timed runs after one warm-up run.")
    var runs = 5

    @Flag(help: "Also time every GEMM shape over the timed runs (calls, ms per forward, GFLOP/s).")
    var gemmShapes = false

    @Flag(help: "Only print the BLAS kernel in use, its instruction set against the CPU's, and how it was chosen; then the linear layers' packed-weight kernel.")
    var kernel = false

    @Flag(help: "Time the explorer's redraw after a key press (compose + damage diff at 200×60 cells) instead of inference.")
    var redraw = false

    @Option(help: ArgumentHelp("With --redraw: also encode the picture for a pixel protocol (sixel, kitty, iterm2) at 10×20-pixel cells.",
                               valueName: "protocol"))
    var graphics: String?

    @Option(name: .customLong("panoptic-json"),
            help: "With --redraw: ground truth for the image (COCO panoptic JSON), so threshold steps recompute the errors too.")
    var panopticJSON: String?
    @Option(name: .customLong("panoptic-dir"), help: "With --redraw: the ground truth's folder of panoptic PNGs.")
    var panopticDirectory: String?

    func validate() throws {
        if kernel { return }
        if (panopticJSON == nil) != (panopticDirectory == nil) { throw ValidationError("--panoptic-json and --panoptic-dir go together") }
        if panopticJSON != nil && !redraw { throw ValidationError("--panoptic-json goes with --redraw") }
        if (image == nil) == (size == nil) { throw ValidationError("give either an IMAGE or --size HxW") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if let graphics {
            guard redraw else { throw ValidationError("--graphics goes with --redraw") }
            guard let chosen = GraphicsProtocol(rawValue: graphics), chosen != .halfblocks else {
                throw ValidationError("--graphics '\(graphics)' is not one of sixel, kitty, iterm2")
            }
        }
    }

    func run() throws {
        if kernel { return print(BLASKernel.report(choice: BLASRestart.choice) + "\n" + PackedGEMM.report) }
        if redraw { return try reportingErrors { try benchmarkRedraw() } }
        try reportingErrors {
            let model = try modelOptions.load()
            let processor = ImageProcessor(config: model.processorConfig)
            let picture = try image.map { try loadImage(path: $0) }
            if let picture { _ = try model.checkedInputSize(imageHeight: picture.height, imageWidth: picture.width) }
            if let size { try model.checkMemory(inputHeight: size.height, inputWidth: size.width) }
            let stuff = try DatasetCatalog.matching(labels: model.config.labels)?.stuffIDs ?? []
            var samples: [String: [Double]] = [:]
            var operations: [String: Int] = [:]
            var inputShape = (0, 0)
            for run in 0...runs {
                var clock = DispatchTime.now().uptimeNanoseconds
                func lap() -> Double {
                    let now = DispatchTime.now().uptimeNanoseconds
                    defer { clock = now }
                    return Double(now - clock) / 1e9
                }
                let pixels = picture.map { processor.preprocess($0) } ?? noise(size!)
                let preprocess = picture == nil ? 0 : lap()
                let predictions = model.forward(pixels)
                _ = lap()
                inputShape = (pixels.shape[1], pixels.shape[2])
                let outputSize = OutputSize(height: picture?.height ?? inputShape.0, width: picture?.width ?? inputShape.1)
                _ = panopticSegmentation(predictions.final, stuffLabels: stuff, size: outputSize)
                let postprocess = lap()
                guard run > 0 else {   // the first run warms caches and the allocator
                    if gemmShapes { GEMMShapeProfile.start() }
                    continue
                }
                let t = predictions.timings
                let total = preprocess + t.total + postprocess
                if picture != nil { samples["preprocess", default: []].append(preprocess) }
                for (name, seconds) in [("backbone", t.backbone), ("pixel decoder", t.pixelDecoder),
                                        ("transformer decoder", t.transformerDecoder), ("forward", t.total),
                                        ("post-process (panoptic)", postprocess), ("total", total)] {
                    samples[name, default: []].append(seconds)
                }
                operations = ["backbone": t.backboneOperations, "pixel decoder": t.pixelDecoderOperations,
                              "transformer decoder": t.transformerDecoderOperations,
                              "forward": t.backboneOperations + t.pixelDecoderOperations + t.transformerDecoderOperations]
            }
            let shapes = gemmShapes ? GEMMShapeProfile.stop() : []
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("model \(model.location.name) · input \(inputShape.0)×\(inputShape.1) (h×w) · \(runs) runs after 1 warm-up · \(parallelWorkerCount) threads")
            print(BLASKernel.report(choice: BLASRestart.choice))
            print(PackedGEMM.report)
            print("stage                       median       min       max    GFLOP   GFLOP/s")
            for name in ["preprocess", "backbone", "pixel decoder", "transformer decoder", "forward", "post-process (panoptic)", "total"] {
                guard let values = samples[name]?.sorted(), !values.isEmpty else { continue }
                let median = values[values.count / 2]
                var line = name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: " %7.1f ms %6.1f ms %6.1f ms", median * 1000, values[0] * 1000, values[values.count - 1] * 1000)
                if let count = operations[name] {
                    line += String(format: "  %7.2f  %8.1f", Double(count) / 1e9, Double(count) / 1e9 / median)
                }
                print(line)
            }
            let limit = gemmLimit()
            let forward = (samples["forward"] ?? [0]).sorted()
            let forwardOperations = Double(operations["forward"] ?? 0) / 1e9
            let achieved = forwardOperations / forward[forward.count / 2]
            print(String(format: "peak RSS %.0f MB · GEMM limit %.0f GFLOP/s (2048³ on all cores) · forward at %.0f%% of it",
                         Double(usage.ru_maxrss) / 1024, limit, 100 * achieved / limit))
            if gemmShapes { printGEMMShapes(shapes, forwardSeconds: forward.reduce(0, +)) }
            // One machine-readable line for Tools/bench.sh.
            print(String(format: "forward_ms median=%.1f min=%.1f max=%.1f gflop=%.2f peak_rss_mb=%.0f gemm_limit=%.0f",
                         forward[forward.count / 2] * 1000, forward[0] * 1000, forward[forward.count - 1] * 1000,
                         forwardOperations, Double(usage.ru_maxrss) / 1024, limit))
        }
    }

    /// The GEMM shapes that took the most time, per forward pass, and the share of the forward that is
    /// GEMM; each shape's rate against the measured fp32 FMA peak of all cores (issue 13).
    func printGEMMShapes(_ shapes: [GEMMShapeTiming], forwardSeconds: Double) {
        let total = shapes.reduce(0) { $0 + $1.seconds }
        let peak = FMAPeak.measure()
        // parallelSgemm only: the Winograd convolution and the attention kernels run their per-thread
        // GEMMs inside their own parallel loops and are timed with those kernels.
        print(String(format: "parallel GEMMs %.1f ms per forward = %.0f%% of the forward; fp32 FMA peak %.1f GFLOP/s "
                     + "(%d threads, registers only, thread CPU time); by shape (M×N×K, op(A)op(B)):",
                     total / Double(runs) * 1000, 100 * total / forwardSeconds, peak, parallelWorkerCount))
        for timing in shapes.prefix(25) {
            print(timing.shape.description.padding(toLength: 22, withPad: " ", startingAt: 0)
                  + String(format: " %5.1f calls %8.2f ms %8.1f GFLOP/s %4.0f%% of peak", Double(timing.calls) / Double(runs),
                           timing.seconds / Double(runs) * 1000, timing.gflopPerSecond, 100 * timing.gflopPerSecond / peak))
        }
    }

    /// The best GFLOP/s of a large square GEMM over all cores: what the model's GEMMs could reach here.
    func gemmLimit() -> Double {
        let n = 2048
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<3 {
            let (_, seconds) = measure {
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            parallelSgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            best = min(best, seconds)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    /// Seeded pseudo-random normalised pixels, so every run and every machine times the same input.
    func noise(_ size: InputSize) -> Tensor {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return Tensor(shape: [3, size.height, size.width]) { out in
            for i in out.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                out[i] = Float(Int64(bitPattern: state >> 11) % 4000) / 1000 - 2
            }
        }
    }

    /// What a key press costs in the explorer, without a terminal: compose the next frame at
    /// 200×60 cells for a sequence of keys and diff it against the previous one.
    func benchmarkRedraw() throws {
        guard let image else { throw ValidationError("--redraw needs an IMAGE") }
        let model = try modelOptions.load()
        let picture = try loadImage(path: image)
        let stuff = try DatasetCatalog.matching(labels: model.config.labels)?.stuffIDs ?? []
        let groundTruth = try panopticJSON.flatMap { json in
            try panopticDirectory.map { try ExploreGroundTruth.load(json: json, directory: $0, labels: model.config.labels) }
        }
        let made = try ExplorerDocument.make(name: "bench", image: picture, model: model, options: PostProcessingOptions(), stuff: stuff)
        let document = groundTruth.map { made.attaching($0, imagePath: image, maskThreshold: PostProcessingOptions().maskThreshold) } ?? made
        if case .failure(let problem)? = document.groundTruth { throw ValidationError("ground truth: \(problem)") }
        // A 10×20-pixel cell (a common 1:2 font) and 256 sixel registers, as most sixel terminals have.
        let setup = graphics.flatMap { GraphicsProtocol(rawValue: $0) }
            .map { GraphicsSetup(protocolInUse: $0, cellPixels: PixelSize(width: 10, height: 20), colorRegisters: 256) } ?? .halfBlocks
        let composer = FrameComposer(theme: Theme.standard, graphics: setup)
        var state = ExplorerState()
        state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: document.predictions.layers.count))
        let keys: [ExplorerKey] = [.character("2"), .down, .down, .character("3"), .down, .character("5"), .down, .character("["),
                                   .character("["), .character("]"), .character("a"), .character("4"), .up, .character("+"),
                                   .character("z"), .character("l"), .character("Z"), .character("2")]
        var previous: CellGrid?
        var previousPictures: [PlacedPicture] = []
        // The explorer's picture output, writing into a counter instead of a terminal: a key press
        // hands the pictures over and returns; the encoder writes them when they are ready.
        let written = WrittenBytes()
        let writer = PictureWriter(setup: setup) { written.add($0.count) }
        var samples: [Double] = [], pictureSamples: [Double] = [], bytes: [Int] = []
        var changed = 0
        var pictureSize = (0, 0), shownSize = (0, 0)
        for round in 0...max(1, runs) {
            for key in keys {
                var frame: ComposedFrame?
                let start = DispatchTime.now().uptimeNanoseconds
                state = ExplorerReducer.reduce(state, .key(key))
                state = ExplorerReducer.reduce(state, .listChanged(count: document.listCount(for: state.view)))
                frame = composer.compose(state: state, document: document, columns: 200, rows: 60, title: "bench", message: "")
                changed = frame?.grid.changedPositions(since: previous).count ?? 0
                previous = frame?.grid
                let pictures = frame?.pictures ?? []
                let newPicture = !pictures.isEmpty && !PlacedPicture.same(pictures, previousPictures)
                let before = written.count
                if newPicture { writer.show(pictures) }
                let keyDone = DispatchTime.now().uptimeNanoseconds
                // What the user waits for until the new picture is on its way to the terminal.
                writer.waitUntilIdle()
                let pictureDone = DispatchTime.now().uptimeNanoseconds
                if let pane = pictures.first, newPicture {
                    pictureSize = (pane.image.width, pane.image.height)
                    shownSize = (pane.shown.width, pane.shown.height)
                }
                previousPictures = pictures
                if round > 0 {
                    samples.append(Double(keyDone - start) / 1e9)
                    if newPicture { pictureSamples.append(Double(pictureDone - start) / 1e9); bytes.append(written.count - before) }
                }
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] * 1000 }
        print("CPU: \(cpuName()), \(ProcessInfo.processInfo.activeProcessorCount) cores online")
        print(String(format: "redraw after a key press at 200×60 cells (%d presses): median %.2f ms, max %.2f ms on the UI thread (last frame changed %d cells)",
                     samples.count, median(samples), (samples.max() ?? 0) * 1000, changed))
        if setup.protocolInUse != .halfblocks, !pictureSamples.isEmpty {
            print(String(format: "%@ picture rendered at %d×%d px, shown at %d×%d px (10×20-px cells), encoded off the UI thread: key press → picture written median %.2f ms, max %.2f ms (%d new pictures, median %.0f KB)",
                         setup.protocolInUse.rawValue, pictureSize.0, pictureSize.1, shownSize.0, shownSize.1, median(pictureSamples),
                         (pictureSamples.max() ?? 0) * 1000, pictureSamples.count, Double(bytes.sorted()[bytes.count / 2]) / 1024))
            // The encoder alone, on the last pane picture: what the figure above waits for besides the compose.
            if let pane = previousPictures.first {
                let encodes = (0..<20).map { _ in measure { _ = pane.sequence(setup: setup) }.1 }
                print(String(format: "%@ encoder alone on the last pane picture (20 runs): median %.2f ms, max %.2f ms",
                             setup.protocolInUse.rawValue, median(encodes), (encodes.max() ?? 0) * 1000))
            }
        }
        try benchmarkThresholdSteps(document: document, setup: setup, cpu: cpuName())
    }

    /// t/T, m/M, o/O through the real event loop on an in-memory terminal: each step post-processes
    /// the cached logits again (panoptic, instances, fates, and the errors when there is a ground
    /// truth) and composes the frame; the model does not run.
    func benchmarkThresholdSteps(document: ExplorerDocument, setup: GraphicsSetup, cpu: String) throws {
        let steps: [Character] = ["t", "t", "T", "T", "m", "m", "M", "M", "o", "o", "O", "O"]
        let views: [Character] = document.errors == nil ? ["2", "5"] : ["2", "5", "7"]
        let queries = document.predictions.final.classLogits.shape[0]
        for view in views {
            let terminal = InMemoryTerminal(columns: 200, rows: 60, graphics: setup, input: [.key(.character(view)), nil])
            let loop = ExplorerLoop(terminal: terminal, source: LoadedDocuments([.done(document)]), theme: Theme.standard,
                                    plainChrome: false, imagePaths: ["bench"], modelName: "bench")
            loop.step(); loop.step()
            var samples: [Character: [Double]] = [:]
            for round in 0...max(1, runs) {
                for key in steps {
                    terminal.type([.key(.character(key)), nil])
                    loop.step()   // the frame before, then the key
                    let (_, seconds) = measure { loop.step() }   // post-process again, compose the frame
                    if round > 0 { samples[Character(key.lowercased()), default: []].append(seconds) }
                }
            }
            func figures(_ values: [Double]) -> String {
                let sorted = values.sorted()
                return String(format: "median %.1f ms, max %.1f ms", sorted[sorted.count / 2] * 1000, (sorted.last ?? 0) * 1000)
            }
            print(String(format: "threshold steps in view %@ at 200×60, %d queries, image %d×%d%@ (%d steps each): ", String(view), queries,
                         document.image.width, document.image.height, document.errors == nil ? "" : ", errors recomputed", samples["t"]?.count ?? 0)
                  + "score (t/T) \(figures(samples["t"] ?? [0])) · mask (m/M) \(figures(samples["m"] ?? [0])) · overlap (o/O) \(figures(samples["o"] ?? [0])) · all \(figures(samples.values.flatMap { $0 })) · \(cpu)")
        }
    }
}

/// Bytes a bench PictureWriter "wrote" (it writes from its encoder queue).
final class WrittenBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    var count: Int { lock.withLock { total } }
    func add(_ n: Int) { lock.withLock { total += n } }
}

/// The processor's name as the kernel reports it, for the figures a bench prints.
func cpuName() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
    return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
}
