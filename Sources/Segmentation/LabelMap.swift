// A per-pixel map of integers: semantic class ids or panoptic segment ids.

public struct LabelMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major, `width · height` values.
    public var values: [Int32]

    public init(width: Int, height: Int, values: [Int32]) {
        precondition(values.count == width * height, "label map \(width)×\(height) needs \(width * height) values")
        self.width = width
        self.height = height
        self.values = values
    }

    public init(width: Int, height: Int, filledWith value: Int32) {
        self.init(width: width, height: height, values: [Int32](repeating: value, count: width * height))
    }

    public subscript(x: Int, y: Int) -> Int32 { values[y * width + x] }

    /// Pixel count per value.
    public func histogram() -> [Int32: Int] {
        var counts: [Int32: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts
    }
}

/// A binary mask at some resolution.
public struct BinaryMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major, 1 inside.
    public var bits: [UInt8]

    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(bits.count == width * height)
        self.width = width
        self.height = height
        self.bits = bits
    }

    public var area: Int { bits.reduce(0) { $0 + Int($1) } }

    /// Tight box `(x, y, width, height)` in pixels, or nil when empty.
    public var boundingBox: (x: Int, y: Int, width: Int, height: Int)? {
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where bits[y * width + x] != 0 {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        return maxX < 0 ? nil : (minX, minY, maxX - minX + 1, maxY - minY + 1)
    }
}
