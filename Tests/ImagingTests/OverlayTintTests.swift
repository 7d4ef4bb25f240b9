// The one overlay blend (segment's overlay PNGs, the explorer's pane): pixel·(1 − α) + colour·α on
// the sRGB values with the exact opacity, rounded to nearest, pinned on hand-computed pixels.

import Testing
@testable import Imaging

@Suite("Overlay tint")
struct OverlayTintTests {
    @Test("hand-computed blends", arguments: [
        // (pixel, tint, α, expected): 0·0.45 + 128·0.55 = 70.4 → 70 (α quantised to 141/256 gave 71)
        (UInt8(0), UInt8(128), Float(0.55), UInt8(70)),
        (0, 255, 0.35, 89),          // 89.25 → 89 (90 with α = 90/256)
        (200, 50, 0.3, 155),         // 140 + 15
        (0, 1, 0.5, 1),              // a half rounds up
        (77, 200, 0, 77),            // α = 0 leaves the pixel
        (77, 200, 1, 200),           // α = 1 is the tint
        (77, 200, 1.7, 200),         // α is clamped to 0…1
        (77, 200, .nan, 77),         // and NaN is no tint
    ])
    func blend(pixel: UInt8, tint: UInt8, opacity: Float, expected: UInt8) {
        let overlay = OverlayTint(color: RGBColor(r: tint, g: pixel, b: tint), opacity: opacity)
        var buffer: [UInt8] = [pixel, pixel, 0]
        buffer.withUnsafeMutableBufferPointer { overlay.blend($0, at: 0) }
        #expect(buffer[0] == expected, "\(pixel) under \(tint) at \(opacity)")
        #expect(buffer[1] == pixel, "a channel blended with its own value stays")
        #expect(overlay.blended(RGBColor(r: pixel, g: pixel, b: 0)) == RGBColor(r: buffer[0], g: buffer[1], b: buffer[2]))
    }

    @Test("the table equals the formula for every value of every channel")
    func tableEqualsFormula() {
        let overlay = OverlayTint(color: RGBColor(r: 255, g: 17, b: 128), opacity: 0.55)
        for value in 0...255 {
            let v = UInt8(value)
            let got = overlay.blended(RGBColor(r: v, g: v, b: v))
            #expect(got == RGBColor(r: OverlayTint.blend(v, 255, opacity: 0.55), g: OverlayTint.blend(v, 17, opacity: 0.55),
                                    b: OverlayTint.blend(v, 128, opacity: 0.55)))
        }
    }
}
