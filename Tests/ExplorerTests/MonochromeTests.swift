// Terminals without colours (vt100, xterm-mono): the frame must carry no colour at all, mark the
// bars and the selection with reverse video, and draw the picture as characters.

import Imaging
import Mask2Former
import Segmentation
import Testing
import Themes
@testable import Explorer

@Suite("Explorer on a monochrome terminal")
struct MonochromeTests {
    /// The random tiny model predicts one class everywhere: three semantic classes (a disc and a
    /// diagonal) instead, so there is a selected segment and others.
    static let document: ExplorerDocument = {
        let real = ImagePaneTests.document
        var values = [Int32](repeating: 0, count: 200 * 150)
        for y in 0..<150 {
            for x in 0..<200 {
                let dx = Double(x) - 83.3, dy = Double(y) - 71.7
                values[y * 200 + x] = dx * dx + dy * dy < 41 * 41 ? 2 : (x + 2 * y > 260 ? 1 : 0)
            }
        }
        return ExplorerDocument(
            name: real.name, image: real.image, labels: real.labels, stuff: real.stuff, predictions: real.predictions, readouts: real.readouts,
            panoptic: real.panoptic, semantic: LabelMap(width: 200, height: 150, values: values), instances: real.instances,
            instanceMap: real.instanceMap, semanticClasses: [(label: 0, pixels: 1), (label: 1, pixels: 1), (label: 2, pixels: 1)],
            queries: real.queries)
    }()

    func compose(monochrome: Bool, state: ExplorerState) -> ComposedFrame {
        FrameComposer(theme: Theme.standard, monochrome: monochrome)
            .compose(state: state, document: Self.document, columns: 120, rows: 40, title: "scene", message: "")
    }

    var semanticState: ExplorerState {
        var state = ExplorerState()
        state.imageCount = 1
        state.view = .semantic
        state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: Self.document.predictions.layers.count))
        return ExplorerReducer.reduce(state, .listChanged(count: Self.document.listCount(for: state.view)))
    }

    @Test("no cell keeps a colour or a half block; the picture is a density ramp")
    func noColours() {
        let frame = compose(monochrome: true, state: semanticState)
        for cell in frame.grid.cells {
            #expect(cell.foreground == .terminalDefault && cell.background == .terminalDefault)
            #expect(cell.glyph != HalfBlockBlitter.upperHalf)
        }
        let region = frame.imageRegion
        #expect(region.columns > 0 && region.rows > 0)
        var glyphs = Set<Character>()
        for r in region.row..<(region.row + region.rows) {
            for c in region.column..<(region.column + region.columns) { glyphs.insert(frame.grid[c, r].glyph) }
        }
        #expect(glyphs.isSubset(of: Set(MonochromePicture.ramp)), "\(glyphs)")
        #expect(glyphs.count >= 3, "a photo is more than one shade: \(glyphs)")
        // The colour frame of the same state does use colours and half blocks.
        let coloured = compose(monochrome: false, state: semanticState)
        #expect(coloured.grid.cells.contains { $0.glyph == HalfBlockBlitter.upperHalf })
    }

    @Test("title and status bars and the selected row are in reverse video; other rows are not")
    func reverseVideo() throws {
        let state = semanticState
        let frame = compose(monochrome: true, state: state)
        let grid = frame.grid
        #expect(grid[0, 0].reverse && grid[grid.columns - 1, 0].reverse, "title bar")
        #expect(grid[0, grid.rows - 1].reverse, "status line")
        try #require(Self.document.semanticClasses.count >= 2)
        // List rows start at row 2; the selected one (0) is reversed, the next one is not.
        let listColumn = grid.columns - min(44, max(30, grid.columns / 3))
        #expect(grid[listColumn + 4, 2].reverse)
        #expect(!grid[listColumn + 4, 3].reverse)
    }

    @Test("the selected segment's cells are reversed, the others are not")
    func selectedSegment() throws {
        let state = semanticState
        let frame = compose(monochrome: true, state: state)
        let region = frame.imageRegion
        var reversed = 0, plain = 0
        for r in region.row..<(region.row + region.rows) {
            for c in region.column..<(region.column + region.columns) {
                if frame.grid[c, r].reverse { reversed += 1 } else { plain += 1 }
            }
        }
        #expect(reversed > 0 && plain > 0, "reversed \(reversed), plain \(plain)")
    }

    @Test("the colour terminal's cells never get reverse video")
    func colourUnchanged() {
        let frame = compose(monochrome: false, state: semanticState)
        #expect(!frame.grid.cells.contains { $0.reverse || $0.underline })
    }

    @Test("brightness picks the ramp character: black is a space, white the densest")
    func ramp() {
        #expect(MonochromePicture.glyph(brightness: RGBColor(r: 0, g: 0, b: 0)) == " ")
        #expect(MonochromePicture.glyph(brightness: RGBColor(r: 255, g: 255, b: 255)) == "@")
        #expect(MonochromePicture.glyph(brightness: RGBColor(r: 128, g: 128, b: 128)) != " ")
    }
}
