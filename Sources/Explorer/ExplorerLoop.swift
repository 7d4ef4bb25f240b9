// The explorer's event loop, on any Terminal: compose a frame for the state and the current image's
// results, present it, take one input (or none within the terminal's poll interval), reduce. Results
// come from a DocumentSource (the inference worker) while keys are answered; new thresholds
// post-process the cached logits again here, never the model.

import FileIO
import Foundation
import Imaging
import Segmentation
import TensorCore
import Themes

public final class ExplorerLoop {
    let terminal: any Terminal
    let source: any DocumentSource
    let theme: Theme
    let plainChrome: Bool
    let imagePaths: [String]
    let modelName: String
    let exportDirectory: String
    var composer: FrameComposer
    public private(set) var state = ExplorerState()
    /// The status line's message until the next key (an export's paths, why pixels are off).
    public private(set) var message: String
    var shownDocument: Int?
    var lastFrame: ComposedFrame?
    /// Each image's document post-processed with the state's thresholds (made on first need).
    var current: [Int: ExplorerDocument] = [:]
    /// One image's `referenceLogits` (Q × 384 × 384 floats: one image's, not every image's).
    var reference: (index: Int, logits: Tensor)?
    /// The same image's `outputProbabilities` for the mask-resize mode in use: every query's resized
    /// probabilities at the image's size, so a threshold step only weighs and votes (no resize). Q·H·W
    /// floats: 59 MB for 100 queries at 384×384; not kept above `probabilityCacheLimit` floats.
    var probabilities: (index: Int, mode: MaskResize, tensor: Tensor)?
    /// 32 Mi floats (128 MB): larger images (many queries at a photo's size) step by resizing again.
    static let probabilityCacheLimit = 1 << 25
    /// The tables as last summed, and what they were summed from (thresholds, images with results).
    var evaluated: (options: PostProcessingOptions, images: [Int], tables: EvaluatedImages)?

    /// `options`: the thresholds to start from (the command line's); `note`: a first status message.
    public init(terminal: any Terminal, source: any DocumentSource, theme: Theme, plainChrome: Bool, imagePaths: [String],
                modelName: String, options: PostProcessingOptions = PostProcessingOptions(), exportDirectory: String = ".",
                note: String = "") {
        self.terminal = terminal
        self.source = source
        self.theme = theme
        self.plainChrome = plainChrome
        self.imagePaths = imagePaths
        self.modelName = modelName
        self.exportDirectory = exportDirectory
        message = note
        composer = FrameComposer(theme: theme, plainChrome: plainChrome, monochrome: terminal.monochrome, graphics: terminal.graphics)
        state.imageCount = imagePaths.count
        state.options = options
    }

    /// Runs until the user quits; the exit status.
    public func run() -> Int32 {
        while !state.quitRequested { step() }
        return 0
    }

    /// One turn: a frame for what is known now, then at most one input.
    public func step() {
        let index = state.imageIndex
        source.request(index)
        let status = source.result(index)
        if case .done(let document)? = status, shownDocument != index {
            shownDocument = index
            state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: document.predictions.layers.count))
        }
        var line = message
        let document = self.document(index)
        switch status {
        case .failed(let error)?: line = error
        case nil: line = "running the model on \(imagePaths[index]): \(source.progress)"
        case .done?: break
        }
        if let document { state = ExplorerReducer.reduce(state, .listChanged(count: document.listCount(for: state.view))) }
        let scoreboard = state.worstFirst || state.table != nil ? evaluatedSoFar() : nil
        if let scoreboard, scoreboard.pqOfImage != state.imageScores {
            state = ExplorerReducer.reduce(state, .imageScores(scoreboard.pqOfImage))
        }
        let size = terminal.size
        let frame = composer.compose(state: state, document: document, columns: size.columns, rows: size.rows,
                                     title: "\(imagePaths[index]) · \(modelName)", message: line, evaluated: scoreboard)
        lastFrame = frame
        terminal.present(frame)

        guard let input = terminal.nextInput() else { return }
        message = ""
        switch input {
        case .interrupt: state.quitRequested = true
        case .suspend: terminal.suspend()
        case .resize:
            composer = FrameComposer(theme: theme, plainChrome: plainChrome, monochrome: terminal.monochrome, graphics: terminal.rereadCellSize())
            terminal.invalidate()
        case .redraw: terminal.invalidate()
        case .click(let column, let row):
            guard let point = frame.imagePixel(column: column, row: row) else { return }
            state = ExplorerReducer.reduce(state, .click(x: point.x, y: point.y), document: document)
        case .wheel(let up, let column, let row):
            // Zoom where the pointer is; off the picture, around the centre.
            let point = frame.imageFraction(column: column, row: row) ?? (0.5, 0.5)
            state = ExplorerReducer.reduce(state, .zoom(factor: up ? 2 : 0.5, x: point.x, y: point.y), document: document)
        case .key(let key):
            let before = state.imageIndex
            state = ExplorerReducer.reduce(state, .key(key), document: document)
            if state.imageIndex != before { shownDocument = nil }
        }
        if state.exportRequested {
            state.exportRequested = false
            // The document at the thresholds the state now has: what the next frame shows.
            if let shown = self.document(state.imageIndex) { message = export(shown) }
        }
    }

    /// Image `index`'s document at the state's thresholds, post-processed again when they changed.
    func document(_ index: Int) -> ExplorerDocument? {
        guard case .done(let loaded)? = source.result(index) else { return nil }
        if let cached = current[index], cached.options == state.options { return cached }
        // From the last one made, which carries what new thresholds can reuse (instances, masks), and
        // with the 384×384 logits every step starts from, kept for the image being stepped.
        let shown = index == state.imageIndex && state.options.maskResize == .via384
        if shown && reference?.index != index { reference = (index, referenceLogits(loaded.predictions.final)) }
        let mode = state.options.maskResize
        let planes = loaded.predictions.final.maskLogits.shape[0] * loaded.image.width * loaded.image.height
        // Made at the first threshold step on this image, not when it is only looked at.
        let stepping = (current[index] ?? loaded).options != state.options
        if index == state.imageIndex && stepping && planes <= Self.probabilityCacheLimit
            && (probabilities?.index != index || probabilities?.mode != mode) {
            let size = OutputSize(height: loaded.image.height, width: loaded.image.width)
            probabilities = (index, mode, outputProbabilities(loaded.predictions.final, size: size, maskResize: mode,
                                                               reference: shown ? reference?.logits : nil))
        }
        let kept = probabilities.flatMap { $0.index == index && $0.mode == mode ? $0.tensor : nil }
        let document = (current[index] ?? loaded).reprocessed(options: state.options, reference: shown ? reference?.logits : nil,
                                                               probabilities: kept)
        current[index] = document
        return document
    }

    /// PQ per image and the per-class and confusion tables over every image with results so far.
    /// Summed again only when an image's results arrive or the thresholds change, not every poll.
    func evaluatedSoFar() -> EvaluatedImages {
        let done = (0..<imagePaths.count).filter { if case .done? = source.result($0) { return true } else { return false } }
        if let evaluated, evaluated.options == state.options, evaluated.images == done { return evaluated.tables }
        var tables = EvaluatedImages()
        for index in done { if let document = document(index) { tables.add(document, image: index) } }
        evaluated = (state.options, done, tables)
        return tables
    }

    func export(_ document: ExplorerDocument) -> String {
        do {
            return "exported " + (try ExplorerExport.export(document: document, state: state, theme: theme, directory: exportDirectory))
                .joined(separator: ", ")
        } catch let error as FileError {
            return "export failed: \(error)"
        } catch let error as ImagingError {
            return "export failed: \(error)"
        } catch {
            return "export to \(exportDirectory) failed: \(error)"
        }
    }
}
