// A colour laid over pixels at an opacity: the one blend behind `segment`'s overlay PNGs and the
// explorer's picture pane (segment tints, boundaries, the query heatmap).
//
//   out = pixel · (1 − α) + colour · α   per channel, on the 8-bit sRGB values, rounded to nearest.
//
// sRGB values, not linear light: detectron2's Visualizer, transformers' demos and the viewers people
// compare an overlay with all blend encoded values, so a gamma-correct blend would show the same mask
// paler here than there. The opacity is used exactly; the explorer used to quantise it to 1/256
// (0.55 → 0.5508) and `segment` did not, so the two disagreed by one level on some pixels. The exact
// value is kept fast with a table: for each channel, the result for every one of the 256 pixel values.

public struct OverlayTint: Sendable {
    public let color: RGBColor
    /// α, clamped to 0…1.
    public let opacity: Float
    /// 3 × 256: the blended red, green and blue for each input value.
    private let table: [UInt8]

    public init(color: RGBColor, opacity: Float) {
        let alpha = opacity.isNaN ? 0 : max(0, min(1, opacity))
        self.color = color
        self.opacity = alpha
        var table = [UInt8](repeating: 0, count: 3 * 256)
        for (channel, tint) in [color.r, color.g, color.b].enumerated() {
            for value in 0..<256 { table[channel * 256 + value] = Self.blend(UInt8(value), tint, opacity: alpha) }
        }
        self.table = table
    }

    /// One channel: `pixel · (1 − α) + tint · α`, rounded to nearest (halves up). α in 0…1.
    @inlinable
    public static func blend(_ pixel: UInt8, _ tint: UInt8, opacity alpha: Float) -> UInt8 {
        let value = Float(pixel) * (1 - alpha) + Float(tint) * alpha
        return UInt8(max(0, min(255, value.rounded())))
    }

    /// Blends the RGB triple at `offset` of an interleaved RGB buffer in place.
    @inline(__always)
    public func blend(_ pixels: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        table.withUnsafeBufferPointer { t in
            pixels[offset] = t[Int(pixels[offset])]
            pixels[offset + 1] = t[256 + Int(pixels[offset + 1])]
            pixels[offset + 2] = t[512 + Int(pixels[offset + 2])]
        }
    }

    public func blended(_ pixel: RGBColor) -> RGBColor {
        RGBColor(r: table[Int(pixel.r)], g: table[256 + Int(pixel.g)], b: table[512 + Int(pixel.b)])
    }
}
