// Views 6 and 7 without a terminal: a ground truth made by hand from the tiny model's own prediction
// (so every figure is known), the frames composed and read back, Enter's jump to the query.

import Evaluation
import Foundation
import Imaging
import Mask2Former
import Segmentation
import TestSupport
import Testing
import Themes
@testable import Explorer

@Suite("Explorer ground truth and errors views")
struct ErrorsViewTests {
    /// The shipped shapes-world model on a sample scene (the tiny random model predicts no segments).
    static let document: ExplorerDocument = {
        let image = try! loadImage(path: repositoryRoot + "/SampleImages/shapes/sample-000001.png")
        let model = try! Mask2FormerModel(model: repositoryRoot + "/Models/shapes-swin")
        return try! ExplorerDocument.make(name: "scene", image: image, model: model, options: PostProcessingOptions(), stuff: [])
    }()

    /// A category per model label (ids from 1), all things as the document was post-processed.
    static var groundTruth: PanopticGroundTruth {
        let labels = document.labels
        return PanopticGroundTruth(categories: labels.enumerated().map { PanopticCategory(id: $0.offset + 1, name: $0.element, isThing: true) },
                                   labels: labels, annotations: [:])
    }

    /// The document with a ground truth whose map is `map` and whose segments are `category(label)` of the
    /// predicted segment of the same id; `extra` ids get category 1. Areas are counted from the map.
    static func withTruth(map: [Int32], category: (Int) -> Int, extra: Set<Int32> = []) -> ExplorerDocument {
        let counts = map.reduce(into: [Int32: Int]()) { $0[$1, default: 0] += 1 }
        var segments = document.panoptic.segments.compactMap { s -> PanopticSegmentInfo? in
            guard let area = counts[s.id] else { return nil }
            return PanopticSegmentInfo(id: Int(s.id), categoryID: category(s.label), area: area)
        }
        segments += extra.map { PanopticSegmentInfo(id: Int($0), categoryID: 1, area: counts[$0] ?? 0) }
        let truth = ImageGroundTruth(map: LabelMap(width: document.image.width, height: document.image.height, values: map), segments: segments)
        var d = document
        d.groundTruth = .success(ImageErrors(panoptic: d.panoptic, finalPrediction: d.predictions.final, truth: truth,
                                             groundTruth: groundTruth, maskThreshold: 0.5))
        return d
    }

    static func frameText(_ document: ExplorerDocument, view: ExplorerView, selection: Int = 0) -> [String] {
        var state = ExplorerState()
        state.view = view
        state = ExplorerReducer.reduce(state, .listChanged(count: document.listCount(for: view)))
        state = ExplorerReducer.reduce(state, .select(row: selection))
        let frame = FrameComposer(theme: Theme.standard).compose(state: state, document: document, columns: 160, rows: 40,
                                                                 title: "scene", message: "")
        return (0..<frame.grid.rows).map { r in String((0..<frame.grid.columns).map { frame.grid[$0, r].glyph }) }
    }

    @Test("a ground truth equal to the prediction: every segment TP, PQ 100, and the header and list say so")
    func perfect() throws {
        let segments = Self.document.panoptic.segments
        try #require(segments.count >= 2, "the fixture must predict segments")
        let d = Self.withTruth(map: Self.document.panoptic.map.values, category: { $0 + 1 })
        let errors = try #require(d.errors)
        #expect(errors.scores.tp == segments.count && errors.scores.fp == 0 && errors.scores.fn == 0)
        #expect(errors.scores.pq == 1)
        #expect(errors.rows.allSatisfy { $0.segment.outcome == .truePositive && $0.segment.iou == 1 })
        let text = Self.frameText(d, view: .errors)
        #expect(text[0].contains("PQ 100.0 SQ 100.0 RQ 100.0 · TP \(segments.count) FP 0 FN 0"), "\(text[0])")
        #expect(text.filter { $0.contains("TP ") && $0.contains("1.00 gt ") }.count == segments.count, "\(text.joined(separator: "\n"))")
        // Nothing to jump to from a TP.
        var state = ExplorerState(); state.view = .errors
        #expect(d.enterEvent(state: state) == nil)
        // View 6 lists the ground-truth segments.
        let truthText = Self.frameText(d, view: .truth)
        #expect(truthText.contains { $0.contains("gt segment") })
        #expect(d.listCount(for: .truth) == segments.count)
    }

    @Test("a ground-truth segment nobody predicted is an FN, hatched in the FN colour over the prediction")
    func missed() throws {
        // A 40 × 30 block in the top-left corner (sky in this scene) becomes its own ground-truth segment, id 999.
        let width = Self.document.image.width
        var map = Self.document.panoptic.map.values
        for y in 0..<30 { for x in 0..<40 { map[y * width + x] = 999 } }
        let d = Self.withTruth(map: map, category: { $0 + 1 }, extra: [999])
        let errors = try #require(d.errors)
        let row = try #require(errors.rows.firstIndex { $0.side == .truth && $0.segment.id == 999 })
        guard case .falseNegative = errors.rows[row].segment.outcome else { Issue.record("\(errors.rows[row])"); return }
        #expect(errors.scores.fn >= 1)
        #expect(errors.scores.tp + errors.scores.fn == errors.truthSegments.count)
        #expect(Self.frameText(d, view: .errors)[0].contains("FN \(errors.scores.fn)"))

        // At the image's own size a pane pixel is an image pixel: hatch lines where (x + y) % 4 == 0.
        var state = ExplorerState(); state.view = .errors; state.listCount = errors.rows.count; state.selection = errors.rows.count + 5
        state.showBoundaries = false
        let picture = ImagePane(document: d, state: state, theme: Theme.standard).render(width: width, height: Self.document.image.height)
        #expect(picture[10, 10] == ErrorsPanel.falseNegative)
        #expect(picture[11, 10] != ErrorsPanel.falseNegative)
        #expect(picture[60, 60] != ErrorsPanel.falseNegative)
        // A click inside it selects its row.
        #expect(d.row(atX: 11, y: 10, view: .errors) == row)
    }

    @Test("predictions of the wrong class are FPs; Enter on one opens the queries view on the query that made it")
    func wrongClassJump() throws {
        let labels = Self.document.labels.count
        try #require(labels >= 2)
        let d = Self.withTruth(map: Self.document.panoptic.map.values, category: { ($0 + 1) % labels + 1 })
        let errors = try #require(d.errors)
        #expect(errors.scores.tp == 0)
        let first = try #require(errors.rows.first)
        #expect(first.segment.outcome == .falsePositive(.wrongClass), "\(first)")
        let query = try #require(first.segment.query)
        #expect(Self.frameText(d, view: .errors).contains { $0.contains("FP ") && $0.contains("wrong class") && $0.contains("q\(query)") })

        var state = ExplorerState(); state.view = .errors
        state = ExplorerReducer.reduce(state, .listChanged(count: errors.rows.count))
        let event = try #require(d.enterEvent(state: state))
        state = ExplorerReducer.reduce(state, event)
        #expect(state.view == .queries)
        #expect(d.queries[state.selection].query == query)
    }

    @Test("without a ground truth, or without this image's annotation, views 6 and 7 say why")
    func absent() {
        #expect(Self.frameText(Self.document, view: .errors).contains { $0.contains("no ground truth: pass --panoptic-json") })
        #expect(Self.document.listCount(for: .errors) == 0)
        var d = Self.document
        d.groundTruth = .failure(GroundTruthProblem("no ground-truth annotation for scene.png"))
        #expect(Self.frameText(d, view: .truth).contains { $0.contains("no ground-truth annotation for scene.png") })
        #expect(!Self.frameText(d, view: .errors)[0].contains("PQ "))
    }
}
