// `maskscope explore`: the terminal UI. Inference runs on a worker thread (current image first);
// the UI polls input every 50 ms, so keys are answered meanwhile and `q` quits at once.

import ArgumentParser
import CursesTerminal
import Dispatch
import Explorer
import FileIO
import Foundation
import Imaging
import Mask2Former
import Segmentation
import Themes
#if canImport(Glibc)
import Glibc
#endif

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Open the terminal explorer on images: views, segments, every query, every decoder layer.")

    @Argument(help: "Images (PNG, JPEG) and folders. Default: the shapes-world scenes in SampleImages/shapes.")
    var inputs: [String] = []

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var postProcessing: PostProcessingArguments

    @Option(name: .customLong("panoptic-json"),
            help: "Ground truth for views 6 and 7: COCO panoptic JSON (default with no images: the sample scenes' own).")
    var panopticJSON: String?
    @Option(name: .customLong("panoptic-dir"), help: "Ground truth: the folder of panoptic PNGs.")
    var panopticDirectory: String?

    @Option(help: "Theme name (Themes/, $XDG_CONFIG_HOME/maskscope/themes).")
    var theme = "default"

    @Option(help: ArgumentHelp("How the picture is drawn: auto (ask the terminal), kitty, sixel, iterm2 or halfblocks. Default: $MASKSCOPE_GRAPHICS, else auto.",
                               valueName: "mode"))
    var graphics: String?

    func validate() throws {
        if (panopticJSON == nil) != (panopticDirectory == nil) {
            throw ValidationError("--panoptic-json and --panoptic-dir go together")
        }
        let environment = ProcessInfo.processInfo.environment
        guard GraphicsRequest.from(option: graphics, environment: environment) != nil else {
            let given = graphics.map { "--graphics '\($0)'" } ?? "MASKSCOPE_GRAPHICS='\(environment["MASKSCOPE_GRAPHICS"] ?? "")'"
            throw ValidationError("\(given) is not one of \(GraphicsRequest.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The picture's way to the screen, decided before curses starts (the probe needs the tty to itself).
    static func chooseGraphics(request: GraphicsRequest, environment: [String: String]) -> GraphicsSetup {
        guard request != .halfblocks else { return .halfBlocks }
        let insideTmux = !(environment["TMUX"] ?? "").isEmpty
        let passthrough = insideTmux && TerminalProbe.tmuxAllowsPassthrough()
        // Without passthrough, a tmux new enough to draw sixel itself is asked (its own DA1 says whether it can).
        let tmuxSixel = insideTmux && !passthrough && (request == .auto || request == .sixel)
            && TerminalProbe.tmuxVersion().map(GraphicsSelection.tmuxMayDrawSixel) == true
        let kernelCell = TerminalProbe.kernelCellSize()
        var replies: TerminalReplies?
        if (!insideTmux || passthrough || tmuxSixel)
            && (tmuxSixel || GraphicsSelection.needsProbe(request: request, environment: environment, kernelCell: kernelCell)) {
            replies = TerminalProbe.ask(throughTmux: passthrough)
        }
        return GraphicsSelection.decide(request: request, environment: environment, insideTmux: insideTmux,
                                        passthrough: passthrough, tmuxSixel: tmuxSixel, kernelCell: kernelCell, replies: replies)
    }

    func run() throws {
        let exitCode = try reportingErrors { () throws -> Int32 in
            guard isatty(1) != 0, isatty(0) != 0 else {
                throw ValidationError("explore needs a terminal (stdin and stdout are not both one); to write results to files use `maskscope segment`")
            }
            let paths = inputs.isEmpty ? [try ShippedAssets.sampleImages()] : inputs
            // A FIFO or device named directly is a mistake to report now; one inside a folder is
            // reported on its own image by the worker, which never opens it.
            for path in paths where !isDirectory(path) {
                if let problem = InferenceWorker.notRegularFile(path: path) { throw problem }
            }
            let images = try ImageInputs.collect(paths)
            guard !images.isEmpty else { throw ValidationError("no PNG or JPEG images in \(paths.joined(separator: ", "))") }
            let chosenTheme = try ThemeLoader.load(named: theme)
            let model = try modelOptions.load()
            // With no images and no ground truth named, the sample scenes open with their own.
            var truthFiles = panopticJSON.flatMap { json in panopticDirectory.map { (json: json, directory: $0) } }
            if inputs.isEmpty && truthFiles == nil, let folder = paths.first, fileExists(folder + "/panoptic.json") {
                truthFiles = (folder + "/panoptic.json", folder + "/panoptic")
            }
            let groundTruth = try truthFiles.map { try ExploreGroundTruth.load(json: $0.json, directory: $0.directory, labels: model.config.labels) }
            // Stuff as eval derives it from the ground truth, so the errors are what eval scores (--stuff-labels still wins).
            let stuff = try groundTruth.flatMap { postProcessing.stuffLabels == nil ? $0.stuffLabels : nil }
                ?? postProcessing.stuff(labels: model.config.labels).ids
            let environment = ProcessInfo.processInfo.environment
            let request = GraphicsRequest.from(option: graphics, environment: environment) ?? .auto
            let setup = Self.chooseGraphics(request: request, environment: environment)
            let terminal = try CursesTerminal(environment: environment, graphics: setup)
            let worker = InferenceWorker(images: images.map { (path: $0.path, name: ($0.outputStem as NSString).lastPathComponent) },
                                         model: model, options: postProcessing.options, stuff: stuff, groundTruth: groundTruth)
            worker.start()
            // Why a wanted pixel protocol is not in use (tmux without passthrough), until the first key.
            let loop = ExplorerLoop(terminal: terminal, source: worker, theme: chosenTheme,
                                    plainChrome: ColorCapability.chromeWithoutColor(environment: environment),
                                    imagePaths: images.map(\.path), modelName: model.location.name, options: postProcessing.options,
                                    note: terminal.graphics.note)
            let status = loop.run()
            terminal.restore()
            // The worker stops at its next check (between images and stages). One deep inside a
            // forward pass is not waited for: the process ends without running exit-time
            // destructors (OpenBLAS frees its buffers there) under a thread still using them.
            if !worker.stop(waitingUpTo: 0.3) { _exit(status) }
            return status
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}
