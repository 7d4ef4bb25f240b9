// The photo with every segment tinted in its colour (Imaging's OverlayTint, the explorer's blend too)
// and a 1-pixel boundary between segments.

import Imaging

/// `map` must have the image's size. `colorOf` gives a segment value's colour, or nil for "no segment"
/// (left untinted, no boundary drawn against it unless a neighbour is a segment).
public func renderOverlay(image: RGBImage, map: LabelMap, style: OverlayStyle, colorOf: (Int32) -> RGBColor?) throws -> RGBImage {
    precondition(image.width == map.width && image.height == map.height, "overlay: image and map sizes differ")
    var tints: [Int32: OverlayTint?] = [:]
    func lookup(_ value: Int32) -> OverlayTint? {
        if let known = tints[value] { return known }
        let tint = colorOf(value).map { OverlayTint(color: $0, opacity: style.opacity) }
        tints[value] = tint
        return tint
    }
    var pixels = image.pixels
    let width = map.width, height = map.height
    for y in 0..<height {
        for x in 0..<width {
            let value = map.values[y * width + x]
            let offset = 3 * (y * width + x)
            // A boundary pixel differs from its right or lower neighbour.
            let right = x + 1 < width ? map.values[y * width + x + 1] : value
            let below = y + 1 < height ? map.values[(y + 1) * width + x] : value
            if (right != value || below != value) && (lookup(value) != nil || lookup(right) != nil || lookup(below) != nil) {
                pixels[offset] = style.boundary.r; pixels[offset + 1] = style.boundary.g; pixels[offset + 2] = style.boundary.b
                continue
            }
            guard let tint = lookup(value) else { continue }
            pixels.withUnsafeMutableBufferPointer { tint.blend($0, at: offset) }
        }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
}
