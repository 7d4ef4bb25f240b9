// A theme: the colours segments are drawn in and the colours of the explorer's chrome.

import Imaging

public struct Theme: Sendable, Equatable {
    public var name: String
    /// Segment colours, used in order (class id or segment index modulo the count).
    public var segments: [RGBColor]
    /// Weight of a segment colour over the photo in overlays, 0…1.
    public var overlayOpacity: Float
    public var boundary: RGBColor
    /// Colours of the interface by role: background, text, dim, accent, selection, warning.
    public var ui: [String: RGBColor]

    public static let requiredUIRoles = ["background", "text", "dim", "accent", "selection", "warning"]

    /// Compiled in so maskscope always has a theme, even with no Themes/ folder installed.
    /// Colours: a 20-colour categorical palette (Kelly's, reordered so neighbours contrast),
    /// all far apart in the 256-colour cube too.
    public static let standard = Theme(
        name: "default",
        segments: [0xe6194b, 0x3cb44b, 0x4363d8, 0xf58231, 0x911eb4, 0x42d4f4, 0xf032e6, 0xbfef45,
                   0xfabed4, 0x469990, 0xdcbeff, 0x9a6324, 0xfffac8, 0x800000, 0xaaffc3, 0x808000,
                   0xffd8b1, 0x000075, 0xffe119, 0xa9a9a9].map(rgb),
        overlayOpacity: 0.55,
        boundary: rgb(0xffffff),
        ui: ["background": rgb(0x1c1c1c), "text": rgb(0xe4e4e4), "dim": rgb(0x808080),
             "accent": rgb(0x5fafff), "selection": rgb(0xffd700), "warning": rgb(0xff5f5f)])
}

/// A colour from a 0xRRGGBB literal.
func rgb(_ value: UInt32) -> RGBColor {
    RGBColor(r: UInt8((value >> 16) & 0xFF), g: UInt8((value >> 8) & 0xFF), b: UInt8(value & 0xFF))
}
