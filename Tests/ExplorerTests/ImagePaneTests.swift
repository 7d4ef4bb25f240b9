// The image pane on a real prediction (the tiny fixture model): overlays blend by how much of each
// half-cell a segment covers, and zoom shows exactly the visible part of the photo.

import Foundation
import Imaging
import Mask2Former
import Segmentation
import TestSupport
import Testing
import Themes
@testable import Explorer

@Suite("Explorer image pane")
struct ImagePaneTests {
    static let document: ExplorerDocument = {
        let image = try! loadImage(path: fixturePath("reference/images/scene-200x150.png"))
        let model = try! Mask2FormerModel(model: fixturePath("models/tiny-w7"))
        var options = PostProcessingOptions()
        options.threshold = 0.05   // the tiny model is random: keep enough segments to have edges
        return try! ExplorerDocument.make(name: "scene", image: image, model: model, options: options, stuff: [])
    }()

    @Test("a half-cell's tint is the segment colours weighted by their coverage of it")
    func coverageBlend() throws {
        // The random tiny model predicts one class everywhere: draw three classes with curved and
        // slanted edges instead (a disc and a diagonal), so many half-cells straddle two of them.
        let real = Self.document
        var values = [Int32](repeating: 0, count: 200 * 150)
        for y in 0..<150 {
            for x in 0..<200 {
                let dx = Double(x) - 83.3, dy = Double(y) - 71.7
                values[y * 200 + x] = dx * dx + dy * dy < 41 * 41 ? 2 : (x + 2 * y > 260 ? 1 : 0)
            }
        }
        let document = ExplorerDocument(
            name: real.name, image: real.image, labels: real.labels, stuff: real.stuff, predictions: real.predictions, readouts: real.readouts,
            panoptic: real.panoptic, semantic: LabelMap(width: 200, height: 150, values: values), instances: real.instances,
            instanceMap: real.instanceMap, semanticClasses: [(label: 0, pixels: 1), (label: 1, pixels: 1), (label: 2, pixels: 1)],
            queries: real.queries)
        var state = ExplorerState()
        state.view = .semantic
        state.showBoundaries = false
        state.selection = 99   // nothing selected: every segment at full opacity
        let theme = Theme.standard
        // 50 × 38 pane pixels over 200 × 150 image pixels: every pane pixel covers 4 × ~3.9 image pixels,
        // and the working resolution is the image's own.
        let picture = ImagePane(document: document, state: state, theme: theme).render(columns: 50, rows: 19)
        #expect(picture.width == 50 && picture.height == 38)

        // Reference: blend every image pixel with its class colour, then average exactly over each pane pixel.
        let image = document.image, map = document.semantic
        var mixedPixels = 0, worst = 0.0
        for py in 0..<38 {
            for px in 0..<50 {
                let x0 = Double(px) * 200 / 50, x1 = Double(px + 1) * 200 / 50
                let y0 = Double(py) * 150 / 38, y1 = Double(py + 1) * 150 / 38
                var sum = [0.0, 0.0, 0.0], area = 0.0
                var classes: Set<Int32> = []
                for sy in Int(y0)..<min(150, Int(y1.rounded(.up))) {
                    let wy = min(y1, Double(sy + 1)) - max(y0, Double(sy))
                    for sx in Int(x0)..<min(200, Int(x1.rounded(.up))) {
                        let wx = min(x1, Double(sx + 1)) - max(x0, Double(sx))
                        let label = map[sx, sy]
                        classes.insert(label)
                        let photo = image[sx, sy]
                        let tint = theme.segments[Int(label) % theme.segments.count]
                        let a = Double(state.opacity)
                        for (c, (p, t)) in [(photo.r, tint.r), (photo.g, tint.g), (photo.b, tint.b)].enumerated() {
                            sum[c] += wx * wy * (Double(p) * (1 - a) + Double(t) * a)
                        }
                        area += wx * wy
                    }
                }
                if classes.count > 1 { mixedPixels += 1 }
                let got = picture[px, py]
                for (c, v) in [got.r, got.g, got.b].enumerated() { worst = max(worst, abs(Double(v) - sum[c] / area)) }
            }
        }
        #expect(mixedPixels > 20, "the scene must have pane pixels that straddle segments (\(mixedPixels))")
        #expect(worst <= 1.5, "largest difference from exact coverage blending: \(worst)")
    }

    @Test("zoomed, the image view is the visible rectangle of the photo, area-averaged")
    func zoomedImage() {
        let document = Self.document
        var state = ExplorerState()
        state.view = .image
        state.viewport.zoom(by: 4, aroundX: 0.8, y: 0.3)
        let rectangle = state.viewport.rectangle(width: 200, height: 150)
        #expect(rectangle.width == 50 && rectangle.height == 38)
        let picture = ImagePane(document: document, state: state, theme: .standard).render(columns: 100, rows: 38)
        let crop = document.image.cropped(x: rectangle.x, y: rectangle.y, width: rectangle.width, height: rectangle.height)
        #expect(picture == boxDownscale(crop, width: 100, height: 76))
        #expect(crop[0, 0] == document.image[rectangle.x, rectangle.y])
    }
}
