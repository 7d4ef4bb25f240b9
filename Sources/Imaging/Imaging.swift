// Placeholder API until the Imaging branch lands (same signatures).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) { self.width = width; self.height = height; self.pixels = pixels }
}
public func pillowBilinearResize(_ image: RGBImage, width: Int, height: Int) -> RGBImage { image }
public func loadImage(path: String) throws -> RGBImage { throw CancellationError() }
