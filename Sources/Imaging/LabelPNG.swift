// Reading label maps: greyscale PNGs whose 8- or 16-bit samples are class ids, returned as they are
// stored (no conversion to RGB, unlike `loadImage`).

import CPNG
import FileIO

public struct LabelPNG: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major sample values.
    public var values: [UInt16]
}

/// Decodes an 8- or 16-bit greyscale PNG's samples. Any other colour type is an error naming the file.
public func loadLabelPNG(path: String) throws -> LabelPNG {
    let file = try MappedFile(path: path)
    // The mapping goes when `file` is released, which may be right after its last use.
    let (header, prepared) = try withExtendedLifetime(file) { try preparePNG(file.bytes, name: path) }
    guard header.colorType == 0, header.bitDepth == 8 || header.bitDepth == 16 else {
        throw ImagingError.unsupported(name: path, detail: "a label map must be an 8- or 16-bit greyscale PNG (colour type 0), this one has colour type \(header.colorType) at \(header.bitDepth) bits")
    }
    if header.bitDepth == 8 {
        let samples = try decodeWithLibpng(prepared, name: path, width: header.width, height: header.height,
                                           format: formatGray, components: 1, as: UInt8.self)
        return LabelPNG(width: header.width, height: header.height, values: samples.map(UInt16.init))
    }
    // 16-bit: the linear format returns the stored samples (gAMA was stripped by preparePNG).
    let samples = try decodeWithLibpng(prepared, name: path, width: header.width, height: header.height,
                                       format: formatLinearY, components: 1, as: UInt16.self)
    return LabelPNG(width: header.width, height: header.height, values: samples)
}
