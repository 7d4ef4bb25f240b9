// The one place that runs libpng's simplified reader.
//
// Between png_image_begin_read_from_memory and png_image_finish_read libpng keeps two pointers:
// the memory it decodes from (read lazily: the image data is only inflated by finish_read) and the
// png_image itself (its io and error pointer). Both must stay valid and unmoved until
// png_image_free. So both calls run inside one `withUnsafeBytes` over the bytes (in a release build
// an array whose last use was the begin call is freed before finish_read reads it: the label-PNG
// reader read a reused buffer, "IDAT: unknown compression method"), and the png_image is allocated
// here rather than held in a Swift `var`, whose `&image` is only promised for the one call.

import CPNG

/// Decodes a PNG already checked by `preparePNG` to libpng `format`, `components` samples per pixel.
/// The result holds `width * height * components` samples, row-major.
func decodeWithLibpng<Sample: FixedWidthInteger>(
    _ png: [UInt8], name: String, width: Int, height: Int, format: UInt32, components: Int, as _: Sample.Type
) throws -> [Sample] {
    // preparePNG caps width·height at maximumPixels, so these fit; checked anyway, never trapped.
    let (count, countOverflow) = width.multipliedReportingOverflow(by: height)
    let (samples, samplesOverflow) = count.multipliedReportingOverflow(by: components)
    guard width > 0, height > 0, !countOverflow, !samplesOverflow, samples <= maximumPixels * 4,
          let stride = Int32(exactly: width * components)
    else { throw ImagingError.tooLarge(name: name, width: width, height: height) }

    let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
    image.initialize(to: png_image())
    image.pointee.version = UInt32(PNG_IMAGE_VERSION)
    defer {
        png_image_free(image)
        image.deinitialize(count: 1)
        image.deallocate()
    }
    // Not zero-filled: a 100-byte file may claim 2^28 pixels, and libpng refuses it (missing image
    // data) before writing most rows, so untouched pages are never committed. On success every
    // row has been written.
    var output = [Sample](unsafeUninitializedCapacity: samples) { _, initialized in initialized = samples }
    try png.withUnsafeBytes { memory in
        guard png_image_begin_read_from_memory(image, memory.baseAddress, memory.count) != 0 else {
            throw ImagingError.corruptPNG(name: name, detail: messageOf(image.pointee))
        }
        guard Int(image.pointee.width) == width, Int(image.pointee.height) == height else {
            throw ImagingError.corruptPNG(name: name, detail: "libpng read a different size than IHDR")
        }
        image.pointee.format = format
        let finished = output.withUnsafeMutableBytes { buffer in
            png_image_finish_read(image, nil, buffer.baseAddress, stride, nil)
        }
        guard finished != 0 else { throw ImagingError.corruptPNG(name: name, detail: messageOf(image.pointee)) }
    }
    return output
}
