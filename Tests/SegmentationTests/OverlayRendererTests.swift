// `segment`'s overlay PNG blends through Imaging's OverlayTint (the explorer's blend too): pinned on a
// hand-computed pixel, and the boundary between segments.

import Imaging
import Testing
@testable import Segmentation

@Suite("Overlay renderer")
struct OverlayRendererTests {
    @Test("a segment pixel is photo·0.45 + colour·0.55, rounded; untinted pixels stay; boundaries are drawn")
    func blendedPixels() throws {
        // 3×1: segment 1, segment 1, nothing (−1). Pixel 1 borders "nothing" to its right: boundary.
        let photo = try RGBImage(width: 3, height: 1, pixels: [0, 100, 200, 0, 100, 200, 9, 8, 7])
        let map = LabelMap(width: 3, height: 1, values: [1, 1, -1])
        let style = OverlayStyle(palette: SegmentPalette(colors: [RGBColor(r: 128, g: 0, b: 60)]), opacity: 0.55,
                                 boundary: RGBColor(r: 1, g: 2, b: 3))
        let overlay = try renderOverlay(image: photo, map: map, style: style) { $0 < 0 ? nil : style.palette.color(0) }
        // 0·0.45 + 128·0.55 = 70.4 → 70; 100·0.45 = 45; 200·0.45 + 60·0.55 = 123.
        #expect(overlay[0, 0] == RGBColor(r: 70, g: 45, b: 123))
        #expect(overlay[1, 0] == RGBColor(r: 1, g: 2, b: 3))
        #expect(overlay[2, 0] == RGBColor(r: 9, g: 8, b: 7))
    }
}
