// The event loop on an in-memory terminal: the shipped model on a sample scene with its shipped
// ground truth, keys scripted, frames read back. Golden frames of the errors view (7) and the layer
// grid (8); thresholds changing the results live; Enter's jumps; export.

import Evaluation
import Foundation
import Imaging
import Mask2Former
import Segmentation
import TestSupport
import Testing
import Themes
@testable import Explorer

@Suite("Explorer event loop on an in-memory terminal")
struct ExplorerLoopTests {
    static let samples = repositoryRoot + "/SampleImages/shapes"

    /// The shapes-world model on sample-000001 with the scene's own ground truth (SampleImages/shapes/panoptic.json).
    static let document: ExplorerDocument = {
        let path = samples + "/sample-000001.png"
        let model = try! Mask2FormerModel(model: repositoryRoot + "/Models/shapes-swin")
        let truth = try! groundTruth(labels: model.config.labels)
        // Stuff as the explorer derives it from the ground truth.
        return try! ExplorerDocument.make(name: "sample-000001", image: try! loadImage(path: path), model: model, options: PostProcessingOptions(),
                                     stuff: truth.stuffLabels)
            .attaching(truth, imagePath: path, maskThreshold: 0.5)
    }()

    /// The COCO panoptic JSON read with Foundation (the CLI's reader lives in the executable).
    static func groundTruth(labels: [String]) throws -> PanopticGroundTruth {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: samples + "/panoptic.json"))) as? [String: Any])
        let categories = (json["categories"] as? [[String: Any]] ?? []).map {
            PanopticCategory(id: $0["id"] as? Int ?? -1, name: $0["name"] as? String ?? "", isThing: ($0["isthing"] as? Int ?? 0) == 1)
        }
        var annotations: [String: PanopticGroundTruth.Annotation] = [:]
        for annotation in json["annotations"] as? [[String: Any]] ?? [] {
            let file = annotation["file_name"] as? String ?? ""
            annotations[file] = PanopticGroundTruth.Annotation(
                png: samples + "/panoptic/" + file,
                segments: (annotation["segments_info"] as? [[String: Any]] ?? []).map {
                    PanopticSegmentInfo(id: $0["id"] as? Int ?? 0, categoryID: $0["category_id"] as? Int ?? -1,
                                        isCrowd: ($0["iscrowd"] as? Int ?? 0) == 1, area: $0["area"] as? Int ?? 0)
                })
        }
        return PanopticGroundTruth(categories: categories, labels: labels, annotations: annotations)
    }

    /// A loop over `documents` (the scene by default) that will replay `keys`, one per poll.
    static func loop(_ keys: [TerminalInput?], documents: [DocumentStatus] = [.done(document)],
                     directory: String = NSTemporaryDirectory()) -> (ExplorerLoop, InMemoryTerminal) {
        let terminal = InMemoryTerminal(columns: 200, rows: 60, input: keys)
        let loop = ExplorerLoop(terminal: terminal, source: LoadedDocuments(documents), theme: Theme.standard, plainChrome: false,
                                imagePaths: documents.indices.map { "scene-\($0).png" }, modelName: "shapes-swin", exportDirectory: directory)
        return (loop, terminal)
    }

    static func keys(_ text: String) -> [TerminalInput?] { text.map { .key(.character($0)) } }

    /// The frame as text; the picture's cells (whose glyphs depend on exact colours) summarised per cell:
    /// `@` the selection colour, `#` anything but the pane's background, `.` the background.
    static func snapshot(_ frame: ComposedFrame, selection: RGBColor, background: RGBColor) -> String {
        let r = frame.imageRegion
        return (0..<frame.grid.rows).map { row in
            String((0..<frame.grid.columns).map { column -> Character in
                guard column >= r.column, column < r.column + r.columns, row >= r.row, row < r.row + r.rows else { return frame.grid[column, row].glyph }
                let cell = frame.grid[column, row]
                let colours = [cell.foreground, cell.background].compactMap { if case .rgb(let c) = $0 { c } else { nil } }
                if colours.contains(selection) { return "@" }
                return colours.contains { $0 != background } || (cell.glyph != " " && cell.glyph != "▀") ? "#" : "."
            })
        }.joined(separator: "\n") + "\n"
    }

    static var selectionColour: RGBColor { Theme.standard.ui["selection"] ?? Theme.standard.boundary }
    static var paneBackground: RGBColor { Theme.standard.ui["background"] ?? RGBColor(r: 0, g: 0, b: 0) }

    @Test("golden frame: the errors view (7) lists every segment with its outcome, PQ and counts in the header")
    func errorsViewGolden() throws {
        let (loop, terminal) = Self.loop(Self.keys("7") + [nil])
        loop.step(); loop.step()
        let frame = try #require(terminal.frames.last)
        let text = Self.snapshot(frame, selection: RGBColor(r: 1, g: 2, b: 3), background: RGBColor(r: 1, g: 2, b: 3))
        #expect(text.contains(" errors ·") && text.contains("PQ "))
        assertGolden(text, named: "errors-view.txt")
    }

    @Test("golden frame: the layer grid (8), queries × layers, kept ones first, the selected cell framed")
    func layerGridGolden() throws {
        let (loop, terminal) = Self.loop(Self.keys("8") + [.key(.down), .key(.left), .key(.left), nil])
        for _ in 0..<5 { loop.step() }
        #expect(loop.state.view == .layers && loop.state.selection == 1 && loop.state.gridLayer == loop.state.layerCount - 3)
        let frame = try #require(terminal.frames.last)
        let text = Self.snapshot(frame, selection: Self.selectionColour, background: Self.paneBackground)
        #expect(text.contains("@"), "the selected thumbnail is framed in the selection colour")
        assertGolden(text, named: "layer-grid.txt")
    }

    @Test("view 8: the rows are the kept queries first; Enter opens that query at that layer in view 5")
    func layerGridJump() throws {
        let document = Self.document
        let order = LayerGrid.order(document)
        let kept = document.queries.filter { $0.fate == .kept || $0.fate == .merged }.count
        try #require(kept > 0 && kept < order.count)
        #expect(order.prefix(kept).allSatisfy { [.kept, .merged].contains(document.queries[$0].fate) })
        let (loop, _) = Self.loop(Self.keys("8") + [.key(.down), .key(.down), .key(.left), .key(.left), .key(.left), .key(.enter), nil])
        for _ in 0..<8 { loop.step() }
        #expect(loop.state.view == .queries)
        #expect(loop.state.selection == order[2], "the grid's third row is queries-view row \(order[2])")
        #expect(loop.state.layer == loop.state.layerCount - 4)
    }

    @Test("t/T, m/M, o/O re-post-process the cached logits: results, fates, errors and the status line change")
    func thresholdsChangeResults() throws {
        // Score threshold from 0.50 up to 0.95: fewer queries pass, so segments and true positives go.
        let (loop, terminal) = Self.loop(Self.keys("7") + [nil] + Self.keys("TTTTTTTTT") + [nil])
        loop.step(); loop.step()
        let before = terminal.screenText.joined(separator: "\n")
        for _ in 0..<10 { loop.step() }
        let after = terminal.screenText.joined(separator: "\n")
        #expect(loop.state.options.threshold == 0.95)
        #expect(after.contains("score 0.95 mask 0.50 overlap 0.80"), "\(after)")
        #expect(before.contains("score 0.50 mask 0.50 overlap 0.80"))
        let strict = Self.document.reprocessed(options: PostProcessingOptions(threshold: 0.95))
        #expect(strict.panoptic.segments.count < Self.document.panoptic.segments.count, "the threshold must change this scene's result")
        let header = ErrorsPanel.summary(try #require(strict.errors).scores)
        #expect(after.contains(header), "the errors view shows the figures at 0.95: \(header)")
        #expect(!before.contains(header))
        #expect(strict.queries.contains { $0.fate == .belowThreshold && Self.document.queries.first(where: { $0.query == $0.query })!.fate != .belowThreshold }
                || strict.queries.filter { $0.fate == .belowThreshold }.count > Self.document.queries.filter { $0.fate == .belowThreshold }.count)
        // Back down, and the other two knobs, clamped at 0 and 1.
        let reset = Self.document.reprocessed(options: PostProcessingOptions(threshold: 0.95)).reprocessed(options: PostProcessingOptions())
        #expect(reset.panoptic.segments == Self.document.panoptic.segments)
        var state = ExplorerState()
        for _ in 0..<30 { state = ExplorerReducer.reduce(state, .key(.character("M"))); state = ExplorerReducer.reduce(state, .key(.character("o"))) }
        #expect(state.options.maskThreshold == 1 && state.options.overlapThreshold == 0)
    }

    @Test("re-post-processed results equal post-processing from scratch at those thresholds (instances filtered from the lowest)")
    func reprocessedEqualsFresh() throws {
        let document = Self.document
        let final = document.predictions.final
        let size = OutputSize(height: document.image.height, width: document.image.width)
        var d = document
        for options in [PostProcessingOptions(threshold: 0.3), PostProcessingOptions(threshold: 0.7, maskThreshold: 0.6),
                        PostProcessingOptions(threshold: 0.45, overlapThreshold: 0.9), PostProcessingOptions(threshold: 0.1)] {
            d = d.reprocessed(options: options)
            #expect(d.instances == instanceSegmentation(final, size: size, options: options), "instances at \(options)")
            let panoptic = panopticSegmentation(final, stuffLabels: document.stuff, size: size, options: options)
            #expect(d.panoptic.segments == panoptic.segments && d.panoptic.map.values == panoptic.map.values && d.panoptic.queryFates == panoptic.queryFates)
            let fresh = ExplorerDocument(name: d.name, image: d.image, labels: d.labels, stuff: d.stuff, predictions: d.predictions, readouts: d.readouts,
                                         options: options, panoptic: panoptic, semantic: d.semantic, instances: d.instances,
                                         instanceMap: d.instanceMap, semanticClasses: d.semanticClasses, queries: d.queries)
                .attaching(try Self.groundTruth(labels: d.labels), imagePath: Self.samples + "/sample-000001.png", maskThreshold: options.maskThreshold)
            #expect(try #require(d.errors).rows == (try #require(fresh.errors)).rows, "errors at \(options)")
        }
    }

    @Test("threshold steps from the kept output probabilities (as the loop keeps them) equal post-processing from scratch, both mask-resize modes")
    func keptProbabilitiesEqualFresh() throws {
        let document = Self.document
        let final = document.predictions.final
        let size = OutputSize(height: document.image.height, width: document.image.width)
        let reference = referenceLogits(final)
        for mode in MaskResize.allCases {
            let probabilities = outputProbabilities(final, size: size, maskResize: mode, reference: mode == .via384 ? reference : nil)
            var d = document
            for (threshold, mask, overlap) in [(0.3, 0.5, 0.8), (0.3, 0.6, 0.8), (0.3, 0.35, 0.8), (0.3, 0.35, 0.5), (0.1, 0.5, 0.95), (0.7, 0.2, 0.1)] {
                let options = PostProcessingOptions(threshold: threshold, maskThreshold: mask, overlapThreshold: overlap, maskResize: mode)
                d = d.reprocessed(options: options, reference: mode == .via384 ? reference : nil, probabilities: probabilities)
                let fresh = panopticSegmentation(final, stuffLabels: document.stuff, size: size, options: options)
                #expect(d.panoptic.map.values == fresh.map.values, "map at \(options)")
                #expect(d.panoptic.segments == fresh.segments && d.panoptic.queryFates == fresh.queryFates, "segments at \(options)")
            }
        }
    }

    @Test("the loop's threshold steps (which keep the output probabilities) show post-processing from scratch")
    func loopStepsEqualFresh() throws {
        let (loop, _) = Self.loop(Self.keys("2tmmOtM") + [nil])
        for _ in 0..<9 { loop.step() }
        let shown = try #require(loop.document(0))
        let options = loop.state.options
        #expect(options != PostProcessingOptions() && loop.probabilities?.index == 0)
        let final = Self.document.predictions.final
        let fresh = panopticSegmentation(final, stuffLabels: Self.document.stuff,
                                         size: OutputSize(height: Self.document.image.height, width: Self.document.image.width), options: options)
        #expect(shown.panoptic.map.values == fresh.map.values && shown.panoptic.segments == fresh.segments && shown.panoptic.queryFates == fresh.queryFates)
    }

    @Test("e exports what is shown, at the thresholds shown")
    func export() throws {
        let directory = NSTemporaryDirectory() + "maskscope-export-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (loop, terminal) = Self.loop(Self.keys("2TTe") + [nil], directory: directory)
        for _ in 0..<6 { loop.step() }
        #expect(terminal.screenText.last?.contains("exported \(directory)/sample-000001.panoptic") == true, "\(terminal.screenText.last ?? "")")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files.contains("sample-000001.panoptic.png"))
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/sample-000001.panoptic.json"))) as? [String: Any])
        #expect((sidecar["threshold"] as? Double) == 0.6 && (sidecar["mask_threshold"] as? Double) == 0.5 && (sidecar["overlap_threshold"] as? Double) == 0.8)
    }

    @Test("a click on the picture selects the segment under it; the wheel zooms there")
    func clickAndWheel() throws {
        let (loop, terminal) = Self.loop([nil])
        loop.step()
        let frame = try #require(terminal.frames.last)
        let segments = Self.document.panoptic.segments
        // A cell whose image pixel lies in the last segment.
        let r = frame.imageRegion
        var target: (Int, Int)?
        search: for row in r.row..<(r.row + r.rows) {
            for column in r.column..<(r.column + r.columns) {
                if let p = frame.imagePixel(column: column, row: row), Self.document.row(atX: p.x, y: p.y, view: .panoptic) == segments.count - 1 {
                    target = (column, row); break search
                }
            }
        }
        let (column, row) = try #require(target)
        terminal.type([.click(column: column, row: row), nil, .wheel(up: true, column: column, row: row), nil])
        for _ in 0..<3 { loop.step() }
        #expect(loop.state.selection == segments.count - 1)
        loop.step()
        #expect(loop.state.viewport.zoom == 2)
    }

    @Test("n/p in worst-PQ order: the header says so, and n goes to the worst image evaluated so far")
    func worstFirst() throws {
        let strict = Self.document.reprocessed(options: PostProcessingOptions(threshold: 0.95))
        // Three copies of the scene; the second scored worse by a stricter threshold fixed into it.
        var worse = strict
        worse.options = PostProcessingOptions()   // so the loop keeps its results as they are
        let documents: [DocumentStatus] = [.done(Self.document), .done(worse), .done(Self.document)]
        #expect(try #require(worse.errors).scores.pq < (try #require(Self.document.errors)).scores.pq)
        let (loop, terminal) = Self.loop(Self.keys("wn") + [nil], documents: documents)
        for _ in 0..<3 { loop.step() }
        #expect(loop.state.worstFirst)
        #expect(loop.state.imageIndex == 0 || loop.state.imageIndex == 2, "the worst image comes first, so n leaves it")
        #expect(terminal.screenText.first?.contains("worst PQ first") == true)
        let order = loop.state.imageOrder
        #expect(order.first == 1, "\(order)")
    }

    @Test("c and x: the per-class table and the confusion matrix over the images so far; Esc closes them")
    func tables() throws {
        let (loop, terminal) = Self.loop(Self.keys("c") + [nil, .key(.escape), nil] + Self.keys("x") + [nil])
        loop.step(); loop.step()
        let table = terminal.screenText.joined(separator: "\n")
        let scores = try #require(Self.document.errors).scores
        #expect(table.contains("per class (c)") && table.contains("over 1 image"), "\(table)")
        // One image: the per-class totals are that image's TP/FP/FN.
        let evaluated = { var e = EvaluatedImages(); e.add(Self.document, image: 0); return e }()
        let totals = evaluated.quality.totals
        #expect(totals.tp == scores.tp && totals.fp == scores.fp && totals.fn == scores.fn)
        loop.step(); loop.step()
        #expect(loop.state.table == nil && !loop.state.quitRequested)
        loop.step(); loop.step()
        let matrix = terminal.screenText.joined(separator: "\n")
        #expect(matrix.contains("semantic confusion (x)") && matrix.contains("mIoU"), "\(matrix)")
        #expect(matrix.contains("sky"))
    }
}
