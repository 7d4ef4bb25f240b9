// Which part of the image the pane shows: a zoom factor and the centre of the visible part, both
// independent of the image's and the pane's size, so they survive a terminal resize unchanged.

public struct Viewport: Sendable, Equatable {
    public static let maximumZoom = 16.0

    /// 1 shows the whole image; 2 shows half its width and half its height.
    public private(set) var zoom = 1.0
    /// Centre of the visible part, as fractions of the image's width and height.
    public private(set) var centerX = 0.5
    public private(set) var centerY = 0.5

    public init() {}

    /// Zooms by `factor`, keeping the image point at fractions (`x`, `y`) where it is in the pane
    /// (the point under the mouse wheel; the centre for keys).
    public mutating func zoom(by factor: Double, aroundX x: Double = 0.5, y: Double = 0.5) {
        let newZoom = min(Self.maximumZoom, max(1, zoom * factor))
        // Where the point sits in the pane (0…1), before and after.
        let paneX = (x - centerX) * zoom + 0.5, paneY = (y - centerY) * zoom + 0.5
        zoom = newZoom
        centerX = x - (paneX - 0.5) / zoom
        centerY = y - (paneY - 0.5) / zoom
        clamp()
    }

    /// Pans by fractions of the visible width and height.
    public mutating func pan(x: Double, y: Double) {
        centerX += x / zoom
        centerY += y / zoom
        clamp()
    }

    /// Keeps the visible part inside the image.
    mutating func clamp() {
        let half = 0.5 / zoom
        centerX = min(1 - half, max(half, centerX))
        centerY = min(1 - half, max(half, centerY))
    }

    /// The visible part of a `width × height` image, in whole pixels (at least 1×1).
    public func rectangle(width: Int, height: Int) -> PixelRectangle {
        let w = max(1, min(width, Int((Double(width) / zoom).rounded())))
        let h = max(1, min(height, Int((Double(height) / zoom).rounded())))
        let x = max(0, min(width - w, Int((centerX * Double(width) - Double(w) / 2).rounded())))
        let y = max(0, min(height - h, Int((centerY * Double(height) - Double(h) / 2).rounded())))
        return PixelRectangle(x: x, y: y, width: w, height: h)
    }
}

/// A rectangle of image pixels.
public struct PixelRectangle: Sendable, Equatable {
    public var x, y, width, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The source index (column or row) that output sample `i` of `count` covering
    /// `origin ..< origin + length` falls on: the pixel under the sample's centre.
    static func nearest(_ i: Int, count: Int, origin: Int, length: Int) -> Int {
        origin + min(length - 1, (2 * i + 1) * length / (2 * count))
    }

    /// Per output column, the image column under its centre.
    func columns(_ count: Int) -> [Int] { (0..<count).map { Self.nearest($0, count: count, origin: x, length: width) } }
    /// Per output row, the image row under its centre.
    func rows(_ count: Int) -> [Int] { (0..<count).map { Self.nearest($0, count: count, origin: y, length: height) } }
}
