// An 8-bit RGB image: the one pixel format the rest of Maskscope sees.

/// A row-major, RGB-interleaved, 8-bit image (what Pillow calls mode "RGB").
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major, RGB interleaved; `count == width * height * 3`.
    public var pixels: [UInt8]

    /// Wraps a pixel buffer, checking that it holds exactly `width * height * 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        let area = width.multipliedReportingOverflow(by: height)
        let bytes = area.partialValue.multipliedReportingOverflow(by: 3)
        guard width >= 0, height >= 0, !area.overflow, !bytes.overflow, pixels.count == bytes.partialValue
        else { throw ImagingError.invalidPixelBuffer(width: width, height: height, count: pixels.count) }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour. Dimensions must be non-negative (a programming error otherwise).
    public init(width: Int, height: Int, fill: RGBColor = RGBColor(r: 0, g: 0, b: 0)) {
        precondition(width >= 0 && height >= 0, "RGBImage dimensions must be non-negative")
        self.width = width
        self.height = height
        if fill.r == fill.g && fill.g == fill.b {
            pixels = [UInt8](repeating: fill.r, count: width * height * 3)
        } else {
            var buffer = [UInt8](repeating: 0, count: width * height * 3)
            var i = 0
            while i < buffer.count {
                buffer[i] = fill.r; buffer[i + 1] = fill.g; buffer[i + 2] = fill.b
                i += 3
            }
            pixels = buffer
        }
    }

    /// For code in this module that has already sized the buffer.
    init(unchecked width: Int, _ height: Int, _ pixels: [UInt8]) {
        assert(pixels.count == width * height * 3)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Bytes per row.
    public var rowBytes: Int { width * 3 }

    /// Whether (x, y) lies inside the image.
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// The pixel at column `x`, row `y` (both must be inside the image).
    public subscript(x: Int, y: Int) -> RGBColor {
        get {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) outside \(width)×\(height) image")
            let i = (y * width + x) * 3
            return RGBColor(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2])
        }
        set {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) outside \(width)×\(height) image")
            let i = (y * width + x) * 3
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b
        }
    }

    /// The pixel at (x, y), or nil outside the image.
    public func pixel(x: Int, y: Int) -> RGBColor? {
        contains(x: x, y: y) ? self[x, y] : nil
    }
}

extension RGBImage {
    /// The pixels of the rectangle at (x, y), clipped to the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        let x0 = max(0, min(width, x)), y0 = max(0, min(height, y))
        let x1 = max(x0, min(width, x + w)), y1 = max(y0, min(height, y + h))
        if x0 == 0 && y0 == 0 && x1 == width && y1 == height { return self }
        let outRowBytes = (x1 - x0) * 3
        var out = [UInt8](repeating: 0, count: outRowBytes * (y1 - y0))
        for row in y0..<y1 {
            let from = (row * width + x0) * 3, to = (row - y0) * outRowBytes
            out[to..<(to + outRowBytes)] = pixels[from..<(from + outRowBytes)]
        }
        return RGBImage(unchecked: x1 - x0, y1 - y0, out)
    }
}
