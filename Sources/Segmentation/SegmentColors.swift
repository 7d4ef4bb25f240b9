// Which colour each segment gets: a palette indexed by class (semantic) or by segment (panoptic,
// instance), so the same class keeps its colour across images.

import Imaging

public struct SegmentPalette: Sendable, Equatable {
    public var colors: [RGBColor]
    public init(colors: [RGBColor]) {
        precondition(!colors.isEmpty, "a palette needs at least one colour")
        self.colors = colors
    }
    public func color(_ index: Int) -> RGBColor { colors[((index % colors.count) + colors.count) % colors.count] }
}

/// How overlays are drawn.
public struct OverlayStyle: Sendable, Equatable {
    public var palette: SegmentPalette
    /// Weight of the segment colour over the photo, 0…1.
    public var opacity: Float
    public var boundary: RGBColor
    public init(palette: SegmentPalette, opacity: Float, boundary: RGBColor) {
        self.palette = palette; self.opacity = opacity; self.boundary = boundary
    }
}
