// JPEG decoding to Pillow's convert("RGB") bytes, through TurboJPEG (libjpeg-turbo 2.1).
//
// Pillow decodes with libjpeg(-turbo) defaults: the accurate integer IDCT (JDCT_ISLOW) and fancy
// (smooth) chroma upsampling. TurboJPEG uses the same unless TJFLAG_FASTDCT / TJFLAG_FASTUPSAMPLE
// are passed, so neither is. Colour conversion is libjpeg's YCbCr→RGB; greyscale JPEGs are
// replicated to RGB, as Pillow's L → RGB does. EXIF orientation is ignored, as convert() does.
//
// CMYK/YCCK JPEGs: Pillow always reads them as "CMYK;I" (Adobe polarity: the stored values are
// inverted) and converts CMYK → RGB with `cmyk2rgb` from libImaging/Convert.c:
// nk = 255 − k; c' = clip8(nk − muldiv255(c, nk)) with muldiv255(a, b) = ((t >> 8) + t) >> 8,
// t = a·b + 128. TurboJPEG returns the stored (inverted) values, so they are inverted first.

import CTurboJPEG

/// Decodes a JPEG held in memory to Pillow's `convert("RGB")` bytes. `name` is used in errors.
public func decodeJPEG(bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 2 else {
        throw ImagingError.corruptJPEG(name: name, detail: "no data")
    }
    guard let handle = tjInitDecompress() else {
        throw ImagingError.corruptJPEG(name: name, detail: "TurboJPEG could not start a decompressor")
    }
    defer { tjDestroy(handle) }
    let size = UInt(bytes.count)

    func message() -> String {
        guard let text = tjGetErrorStr2(handle) else { return "libjpeg-turbo reported an error" }
        return String(cString: text)
    }

    var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
    guard tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) == 0 else {
        throw ImagingError.corruptJPEG(name: name, detail: message())
    }
    guard width > 0, height > 0 else {
        throw ImagingError.corruptJPEG(name: name, detail: "header gives a \(width)×\(height) image")
    }
    let w = Int(width), h = Int(height)
    guard w * h <= maximumPixels else { throw ImagingError.tooLarge(name: name, width: w, height: h) }

    let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
    let channels = isCMYK ? 4 : 3
    let pixelFormat = isCMYK ? TJPF_CMYK : TJPF_RGB
    // Not zero-filled (a few bytes may claim 2^28 pixels); read only after a decode that wrote every row.
    var decoded = [UInt8](unsafeUninitializedCapacity: w * h * channels) { _, initialized in initialized = w * h * channels }
    // TJFLAG_ACCURATEDCT is the default for decompression; passed to say so. TJFLAG_LIMITSCANS stops
    // a progressive file after 500 scans: a few hundred bytes of crafted scans would otherwise take
    // minutes to decode (libjpeg-turbo's own fuzzers use it; real encoders write about ten).
    let flags = Int32(TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS)
    func decompress(_ flags: Int32) -> Int32 {
        decoded.withUnsafeMutableBufferPointer { out in
            tjDecompress2(handle, base, size, out.baseAddress, width, width * Int32(channels), height,
                          Int32(pixelFormat.rawValue), flags)
        }
    }
    // TurboJPEG reports warnings and errors alike as -1. Pillow decodes files whose only fault is
    // stray bytes between markers, so that one warning is tolerated; any other is an error. The
    // first pass stops at the first warning, so a corrupt stream that claims a huge image is not
    // decoded (and grey-filled) to the end only to be refused; only the tolerated warning pays
    // for a second, complete pass.
    if decompress(flags | Int32(TJFLAG_STOPONWARNING)) != 0 {
        let text = message()
        let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
        guard isWarning && text.contains("extraneous bytes before marker") else {
            throw ImagingError.corruptJPEG(name: name, detail: text)
        }
        if decompress(flags) != 0 {
            // TurboJPEG's error code says "warning" whenever a warning came first (a truncated
            // stream warns "Premature end of JPEG file", then fails), so only the text is trusted.
            let text = message()
            if !(tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) && text.contains("extraneous bytes before marker")) {
                throw ImagingError.corruptJPEG(name: name, detail: text)
            }
        }
    }
    guard isCMYK else { return RGBImage(unchecked: w, h, decoded) }

    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    @inline(__always) func muldiv255(_ a: Int, _ b: Int) -> Int { let t = a * b + 128; return ((t >> 8) + t) >> 8 }
    for i in 0..<(w * h) {
        let c = 255 - Int(decoded[4 * i]), m = 255 - Int(decoded[4 * i + 1])
        let y = 255 - Int(decoded[4 * i + 2]), k = 255 - Int(decoded[4 * i + 3])
        let nk = 255 - k
        rgb[3 * i] = UInt8(clamping: nk - muldiv255(c, nk))
        rgb[3 * i + 1] = UInt8(clamping: nk - muldiv255(m, nk))
        rgb[3 * i + 2] = UInt8(clamping: nk - muldiv255(y, nk))
    }
    return RGBImage(unchecked: w, h, rgb)
}
