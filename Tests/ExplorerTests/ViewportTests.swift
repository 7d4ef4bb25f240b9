// Zoom and pan: what part of the image is visible, that the point under the wheel stays put, and
// that clicks on a zoomed picture land on the pixel drawn there.

import Imaging
import Testing
@testable import Explorer

@Suite("Explorer zoom and pan")
struct ViewportTests {
    @Test("zoom 1 shows the whole image; zoom 2 a centred half; zoom is clamped to 1…16")
    func rectangles() {
        var v = Viewport()
        #expect(v.rectangle(width: 256, height: 192) == PixelRectangle(x: 0, y: 0, width: 256, height: 192))
        v.zoom(by: 2)
        #expect(v.rectangle(width: 256, height: 192) == PixelRectangle(x: 64, y: 48, width: 128, height: 96))
        v.zoom(by: 1000)
        #expect(v.zoom == Viewport.maximumZoom)
        #expect(v.rectangle(width: 256, height: 192) == PixelRectangle(x: 120, y: 90, width: 16, height: 12))
        v.zoom(by: 0.001)
        #expect(v.zoom == 1 && v.rectangle(width: 256, height: 192).width == 256)
    }

    @Test("the image point under the wheel stays where it is in the pane", arguments: [(0.3, 0.6), (0.9, 0.1), (0.5, 0.5)])
    func zoomAroundPoint(_ x: Double, _ y: Double) {
        var v = Viewport()
        v.zoom(by: 2, aroundX: x, y: y)
        v.zoom(by: 2, aroundX: x, y: y)
        // Away from the edges the point keeps its pane position; near them the view is clamped inside the image.
        let half = 0.5 / v.zoom
        let paneX = (x - v.centerX) * v.zoom + 0.5, paneY = (y - v.centerY) * v.zoom + 0.5
        if v.centerX > half + 1e-9 && v.centerX < 1 - half - 1e-9 { #expect(abs(paneX - x) < 1e-9) }
        if v.centerY > half + 1e-9 && v.centerY < 1 - half - 1e-9 { #expect(abs(paneY - y) < 1e-9) }
        #expect(v.centerX >= half - 1e-9 && v.centerX <= 1 - half + 1e-9)
        #expect(v.centerY >= half - 1e-9 && v.centerY <= 1 - half + 1e-9)
    }

    @Test("keys zoom, pan within the image, reset; a new image starts unzoomed")
    func keys() {
        func press(_ keys: String, _ state: ExplorerState) -> ExplorerState {
            keys.reduce(state) { ExplorerReducer.reduce($0, .key(.character($1))) }
        }
        var s = ExplorerState()
        s.imageCount = 2
        s = press("hl", s)
        #expect(s.viewport == Viewport())  // nothing to pan at zoom 1
        s = press("zz", s)
        #expect(s.viewport.zoom == 4)
        s = press("llllllll", s)
        #expect(s.viewport.rectangle(width: 400, height: 300) == PixelRectangle(x: 300, y: 113, width: 100, height: 75))
        s = press("kkkkkkkk", s)
        #expect(s.viewport.rectangle(width: 400, height: 300).y == 0)
        s = press("Z", s)
        #expect(s.viewport.zoom == 2)
        s = press("0", s)
        #expect(s.viewport == Viewport())
        s = press("z", s)
        s = ExplorerReducer.reduce(s, .zoom(factor: 2, x: 0.1, y: 0.1))
        #expect(s.viewport.zoom == 4)
        s = press("n", s)
        #expect(s.imageIndex == 1 && s.viewport == Viewport())
    }

    @Test("a click on a zoomed picture selects the pixel drawn under it")
    func clickMapping() {
        var frame = ComposedFrame(grid: CellGrid(columns: 100, rows: 40), imageRegion: (column: 10, row: 2, columns: 64, rows: 24))
        frame.imageSize = (256, 192)
        frame.visible = PixelRectangle(x: 0, y: 0, width: 256, height: 192)
        #expect(frame.imagePixel(column: 10, row: 2)! == (2, 4))       // cell (0,0) covers pixels 0…3 × 0…7; its centre is (2, 4)
        #expect(frame.imagePixel(column: 73, row: 25)! == (254, 188))
        #expect(frame.imagePixel(column: 9, row: 2) == nil && frame.imagePixel(column: 74, row: 2) == nil)
        frame.visible = PixelRectangle(x: 128, y: 96, width: 64, height: 48)   // zoom 4, lower right quarter-ish
        #expect(frame.imagePixel(column: 10, row: 2)! == (128, 97))
        let fraction = frame.imageFraction(column: 41, row: 13)!
        #expect(abs(fraction.x - (128 + 31.5) / 256) < 1e-9 && abs(fraction.y - (96 + 23) / 192) < 1e-9)
    }
}
