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
    let (header, prepared) = try preparePNG(file.bytes, name: path)
    guard header.colorType == 0, header.bitDepth == 8 || header.bitDepth == 16 else {
        throw ImagingError.unsupported(name: path, detail: "a label map must be an 8- or 16-bit greyscale PNG (colour type 0), this one has colour type \(header.colorType) at \(header.bitDepth) bits")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let began = prepared.withUnsafeBytes { raw in png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) }
    guard began != 0 else { throw ImagingError.corruptPNG(name: path, detail: messageOf(image)) }
    let count = header.width * header.height
    if header.bitDepth == 8 {
        image.format = formatGray
        var samples = [UInt8](repeating: 0, count: count)
        let finished = samples.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(header.width), nil) }
        guard finished != 0 else { throw ImagingError.corruptPNG(name: path, detail: messageOf(image)) }
        return LabelPNG(width: header.width, height: header.height, values: samples.map(UInt16.init))
    }
    // 16-bit: the linear format returns the stored samples (gAMA was stripped by preparePNG).
    image.format = formatLinearY
    var samples = [UInt16](repeating: 0, count: count)
    let finished = samples.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(header.width), nil) }
    guard finished != 0 else { throw ImagingError.corruptPNG(name: path, detail: messageOf(image)) }
    return LabelPNG(width: header.width, height: header.height, values: samples)
}
