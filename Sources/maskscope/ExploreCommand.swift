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

    @Option(help: "Theme name (Themes/, $XDG_CONFIG_HOME/maskscope/themes).")
    var theme = "default"

    func run() throws {
        let exitCode = try reportingErrors { () throws -> Int32 in
            guard isatty(1) != 0, isatty(0) != 0 else {
                throw ValidationError("explore needs a terminal (stdin and stdout are not both one); to write results to files use `maskscope segment`")
            }
            let paths = inputs.isEmpty ? [try ShippedAssets.sampleImages()] : inputs
            // A FIFO or device named directly is a mistake to report now; one inside a folder is
            // reported on its own image by the worker, which never opens it.
            for path in paths where !isDirectory(path) {
                if let problem = ExploreInputCheck.problem(path: path) { throw problem }
            }
            let images = try ImageInputs.collect(paths)
            guard !images.isEmpty else { throw ValidationError("no PNG or JPEG images in \(paths.joined(separator: ", "))") }
            let chosenTheme = try ThemeLoader.load(named: theme)
            let model = try modelOptions.load()
            let stuff = try postProcessing.stuff(labels: model.config.labels).ids
            let environment = ProcessInfo.processInfo.environment
            let terminal = try CursesTerminal(environment: environment)
            let worker = InferenceWorker(images: images, model: model, options: postProcessing.options, stuff: stuff)
            worker.start()
            let status = runLoop(worker: worker, terminal: terminal, environment: environment, theme: chosenTheme,
                                 images: images, modelName: model.location.name)
            terminal.restore()
            // The worker stops at its next check (between images and stages). One deep inside a
            // forward pass is not waited for: the process ends without running exit-time
            // destructors (OpenBLAS frees its buffers there) under a thread still using them.
            if !worker.stop(waitingUpTo: 0.3) { _exit(status) }
            return status
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    func runLoop(worker: InferenceWorker, terminal: CursesTerminal, environment: [String: String], theme: Theme,
                 images: [ImageInput], modelName: String) -> Int32 {
        let composer = FrameComposer(theme: theme, plainChrome: ColorCapability.chromeWithoutColor(environment: environment),
                                     monochrome: terminal.monochrome)
        var state = ExplorerState()
        state.imageCount = images.count
        var message = ""
        var shownDocument: Int? = nil
        var lastFrame: ComposedFrame?
        while !state.quitRequested {
            worker.request(state.imageIndex)
            let current = worker.result(state.imageIndex)
            if case .done(let document)? = current, shownDocument != state.imageIndex {
                shownDocument = state.imageIndex
                state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: document.predictions.layers.count))
            }
            var document: ExplorerDocument?
            var status = message
            switch current {
            case .done(let d)?: document = d
            case .failed(let error)?: status = error
            case nil: status = "running the model on \(images[state.imageIndex].path): \(worker.progress)"
            }
            if let document {
                state = ExplorerReducer.reduce(state, .listChanged(count: document.listCount(for: state.view)))
            }
            let size = terminal.size
            let frame = composer.compose(state: state, document: document, columns: size.columns, rows: size.rows,
                                         title: "\(images[state.imageIndex].path) · \(modelName)", message: status)
            lastFrame = frame
            terminal.present(frame)

            guard let input = terminal.nextInput() else { continue }
            message = ""
            switch input {
            case .interrupt: state.quitRequested = true
            case .suspend: terminal.suspend()
            case .resize, .redraw: terminal.invalidate()
            case .click(let column, let row):
                guard let document, let point = lastFrame?.imagePixel(column: column, row: row) else { continue }
                if let listRow = document.row(atX: point.x, y: point.y, view: state.view) {
                    state = ExplorerReducer.reduce(state, .select(row: listRow))
                }
            case .wheel(let up, let column, let row):
                // Zoom where the pointer is; off the picture, around the centre.
                let point = lastFrame?.imageFraction(column: column, row: row) ?? (0.5, 0.5)
                state = ExplorerReducer.reduce(state, .zoom(factor: up ? 2 : 0.5, x: point.x, y: point.y))
            case .key(.character("e")):
                if let document {
                    do {
                        message = "exported " + (try ExplorerExport.export(document: document, state: state, theme: theme, directory: "."))
                            .joined(separator: ", ")
                    } catch let error as FileError {
                        message = "export failed: \(error)"
                    } catch let error as ImagingError {
                        message = "export failed: \(error)"
                    } catch {
                        message = "export to \(FileManager.default.currentDirectoryPath) failed: \(error)"
                    }
                }
            case .key(let key):
                let before = state.imageIndex
                state = ExplorerReducer.reduce(state, .key(key))
                if state.imageIndex != before { shownDocument = nil }
            }
        }
        return 0
    }
}

/// Runs the model on the images one at a time on its own thread, the requested image first;
/// results are kept for the session. The thread holds the worker strongly, so the worker lives as
/// long as the thread runs whatever the UI does; `stop` asks it to finish at its next check.
final class InferenceWorker: @unchecked Sendable {
    enum Result { case done(ExplorerDocument), failed(String) }

    private let lock = NSLock()
    private var results: [Int: Result] = [:]
    private var wanted = 0
    private var started = DispatchTime.now()
    private var stage = ""
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private let images: [ImageInput]
    private let model: Mask2FormerModel
    private let options: PostProcessingOptions
    private let stuff: Set<Int>

    init(images: [ImageInput], model: Mask2FormerModel, options: PostProcessingOptions, stuff: Set<Int>) {
        self.images = images
        self.model = model
        self.options = options
        self.stuff = stuff
    }

    func start() {
        let thread = Thread { [self] in
            work()
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private var shouldStop: Bool { lock.withLock { stopRequested } }

    private func work() {
        while !shouldStop {
            let next: Int? = lock.withLock {
                if results[wanted] == nil { return wanted }
                return images.indices.first { results[$0] == nil }
            }
            guard let index = next else { return }
            lock.withLock { started = DispatchTime.now(); stage = "decoding the image" }
            let result: Result?
            do {
                // A FIFO, device or socket lying in a folder is never opened: a read would block for good.
                if let problem = ExploreInputCheck.problem(path: images[index].path) { throw problem }
                let picture = try loadImage(path: images[index].path)
                result = ExplorerDocument.make(
                    name: (images[index].outputStem as NSString).lastPathComponent, image: picture, model: model,
                    options: options, stuff: stuff,
                    progress: { [self] stage in lock.withLock { self.stage = stage } },
                    shouldStop: { [self] in shouldStop }).map { .done($0) }
            } catch {
                result = .failed("\(error)")
            }
            guard let result else { return }
            lock.withLock { results[index] = result }
        }
    }

    /// Asks the thread to stop and waits up to `seconds` for it; false when it is still running.
    func stop(waitingUpTo seconds: Double) -> Bool {
        lock.withLock { stopRequested = true }
        return finished.wait(timeout: .now() + seconds) == .success
    }

    func request(_ index: Int) { lock.withLock { wanted = index } }
    func result(_ index: Int) -> Result? { lock.withLock { results[index] } }
    /// "pixel decoder, 1.4 s": the stage running now and the time since this image started.
    var progress: String {
        lock.withLock { stage + String(format: ", %.1f s", Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9) }
    }
}

/// The explorer reads images on a thread that must never block: anything but a regular file (a FIFO
/// would wait for a writer for good) is refused by its `stat`, without opening it.
enum ExploreInputCheck {
    /// Nil for a regular file or a path that does not exist (reported by whoever opens it).
    static func problem(path: String) -> FileError? {
        guard let mode = fileMode(path), mode & S_IFMT != S_IFREG else { return nil }
        if mode & S_IFMT == S_IFDIR { return .isDirectory(path: path) }
        return .notRegularFile(path: path, kind: fileKindName(mode: mode))
    }
}
