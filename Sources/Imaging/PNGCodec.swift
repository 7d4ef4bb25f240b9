// PNG decoding to Pillow's convert("RGB") bytes, and PNG encoding, through libpng's simplified API.
//
// libpng reports errors with longjmp, which Swift frames cannot survive. The simplified API
// (`png_image_*`) catches its own longjmps in C and reports `image.message`, so it is the only
// libpng entry point used here. It does colour management we must not do (Pillow ignores gAMA,
// sRGB, iCCP and cHRM, and drops alpha instead of compositing), so before libpng sees the file a
// chunk walk in Swift:
//   - checks the structure (signature, chunk lengths, the IHDR CRC) and reports truncation itself;
//   - removes gAMA, sRGB, iCCP, cHRM (no gamma: 8-bit data is then taken as sRGB and left alone,
//     16-bit data requested as "linear" is taken as linear and left alone) and tRNS (Pillow's
//     convert("RGB") ignores transparency, and without it libpng never composites);
//   - rewrites a 16-bit grey+alpha IHDR as 8-bit RGBA of the same width. Both have 4 bytes per
//     pixel, so filtering and Adam7 are byte-identical, and libpng then hands back the raw
//     big-endian samples. (Asking libpng for 16-bit output with alpha would premultiply it.)
//
// Pillow 11.3.0's PNG modes and their convert("RGB"), reproduced below:
//   grey 1/2/4-bit  → "1" / "L;2" / "L;4": expanded by bit replication (×255, ×85, ×17), then replicated.
//   grey 8          → "L": replicated.           grey 16 → "I;16": convert clamps, min(v, 255)
//                                                  (not v >> 8, not v / 257), then replicates.
//   RGB 8           → as is.                      RGB 16  → "RGB;16B": high byte of each sample.
//   palette 1..8    → palette lookup; tRNS ignored.
//   grey+alpha 8    → "LA": alpha dropped.         grey+alpha 16 → "RGBA" via "LA;16B": high byte of grey.
//   RGBA 8          → alpha dropped, not composited.
//   RGBA 16         → high bytes, alpha dropped. libpng's simplified API can only return 16-bit
//                     RGBA premultiplied, so this is exact only when every alpha is 65535; other
//                     16-bit RGBA files are refused with `ImagingError.unsupported`.

import CPNG
import FileIO

// libpng's PNG_FORMAT_* values (png.h), spelled out so the macro import does not matter.
let formatGray: UInt32 = 0            // PNG_FORMAT_GRAY
let formatGA: UInt32 = 1              // PNG_FORMAT_GA
let formatRGB: UInt32 = 2             // PNG_FORMAT_RGB
let formatRGBA: UInt32 = 3            // PNG_FORMAT_RGBA
let formatLinearY: UInt32 = 4         // PNG_FORMAT_LINEAR_Y
let formatLinearRGB: UInt32 = 6       // PNG_FORMAT_LINEAR_RGB
let formatLinearRGBA: UInt32 = 7      // PNG_FORMAT_LINEAR_RGB_ALPHA

let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Decoded images are refused above this many pixels (a 16k × 16k image).
let maximumPixels = 1 << 28

// MARK: - Chunk walk

struct PNGHeader {
    var width: Int
    var height: Int
    var bitDepth: UInt8
    var colorType: UInt8
}

private func readUInt32BE(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
}

private func appendUInt32BE(_ value: UInt32, to out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: value >> 24)); out.append(UInt8(truncatingIfNeeded: value >> 16))
    out.append(UInt8(truncatingIfNeeded: value >> 8)); out.append(UInt8(truncatingIfNeeded: value))
}

private func chunkName(_ type: UInt32) -> String {
    let chars = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: type >> UInt32($0)) }
    if chars.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
        return String(decoding: chars, as: UTF8.self)
    }
    return "0x" + String(type, radix: 16)
}

private func fourCC(_ s: StaticString) -> UInt32 {
    let p = s.utf8Start
    return UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
}

private let chunkIHDR = fourCC("IHDR")
private let chunkIEND = fourCC("IEND")
private let chunkIDAT = fourCC("IDAT")
/// Colour-management and transparency chunks that Pillow's convert("RGB") ignores.
private let strippedChunks: Set<UInt32> = [fourCC("gAMA"), fourCC("sRGB"), fourCC("iCCP"), fourCC("cHRM"), fourCC("tRNS")]

/// Appends one chunk with its CRC.
private func appendChunk(type: UInt32, data: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    appendUInt32BE(UInt32(data.count), to: &out)
    let start = out.count
    appendUInt32BE(type, to: &out)
    out.append(contentsOf: data)
    let crc = out.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    appendUInt32BE(crc, to: &out)
}

/// Checks the chunk structure and returns the header and the bytes libpng should decode.
func preparePNG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (PNGHeader, [UInt8]) {
    guard bytes.count >= 8, zip(bytes.prefix(8), pngSignature).allSatisfy({ $0 == $1 }) else {
        throw ImagingError.corruptPNG(name: name, detail: "bad PNG signature")
    }
    var out: [UInt8] = pngSignature
    out.reserveCapacity(bytes.count + 64)
    var header: PNGHeader?
    var position = 8
    var sawIDAT = false
    while true {
        if position == bytes.count && sawIDAT {
            // Ends cleanly after the image data but without IEND: Pillow reads such files, so
            // close the stream and let libpng judge whether the image data is complete.
            appendChunk(type: chunkIEND, data: UnsafeRawBufferPointer(start: nil, count: 0), to: &out)
            break
        }
        guard position + 8 <= bytes.count else {
            let what = header == nil ? "no IHDR chunk" : (sawIDAT ? "file ends before the IEND chunk" : "file ends before any image data")
            throw ImagingError.corruptPNG(name: name, detail: "truncated: \(what)")
        }
        let length = Int(readUInt32BE(bytes, position))
        let type = readUInt32BE(bytes, position + 4)
        guard length <= Int(Int32.max) else {
            throw ImagingError.corruptPNG(name: name, detail: "chunk \(chunkName(type)) claims \(length) bytes")
        }
        guard position + 12 + length <= bytes.count else {
            throw ImagingError.corruptPNG(name: name, detail: "truncated inside the \(chunkName(type)) chunk at byte \(position)")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[(position + 8)..<(position + 8 + length)])
        if header == nil {
            guard type == chunkIHDR, length == 13 else {
                throw ImagingError.corruptPNG(name: name, detail: "first chunk is \(chunkName(type)), expected a 13-byte IHDR")
            }
            let stored = readUInt32BE(bytes, position + 8 + length)
            let computed = crc32(UnsafeRawBufferPointer(rebasing: bytes[(position + 4)..<(position + 8 + length)]))
            guard stored == computed else { throw ImagingError.corruptPNG(name: name, detail: "IHDR CRC error") }
            let width = Int(readUInt32BE(data, 0)), height = Int(readUInt32BE(data, 4))
            let depth = data[8], colorType = data[9]
            guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
                throw ImagingError.corruptPNG(name: name, detail: "IHDR gives a \(width)×\(height) image")
            }
            guard width * height <= maximumPixels else { throw ImagingError.tooLarge(name: name, width: width, height: height) }
            header = PNGHeader(width: width, height: height, bitDepth: depth, colorType: colorType)
            if colorType == 4 && depth == 16 {
                // 16-bit grey+alpha → 8-bit RGBA of the same width (both 4 bytes per pixel).
                var ihdr = Array(data)
                ihdr[8] = 8
                ihdr[9] = 6
                ihdr.withUnsafeBytes { appendChunk(type: type, data: $0, to: &out) }
            } else {
                out.append(contentsOf: bytes[position..<(position + 12 + length)])
            }
        } else if !strippedChunks.contains(type) {
            out.append(contentsOf: bytes[position..<(position + 12 + length)])
        }
        if type == chunkIDAT { sawIDAT = true }
        position += 12 + length
        if type == chunkIEND { break }
    }
    // `header` is set: the loop throws unless the first chunk was a valid IHDR.
    guard let header else { throw ImagingError.corruptPNG(name: name, detail: "no IHDR chunk") }
    return (header, out)
}

// MARK: - Decoding

func messageOf(_ image: png_image) -> String {
    var copy = image.message
    let text = withUnsafeBytes(of: &copy) { raw -> String in
        let bytes = raw.prefix(while: { $0 != 0 })
        return String(decoding: bytes, as: UTF8.self)
    }
    return text.isEmpty ? "libpng reported an error" : text
}

/// Decodes a PNG held in memory to Pillow's `convert("RGB")` bytes. `name` is used in errors.
public func decodePNG(bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
    let (header, prepared) = try preparePNG(bytes, name: name)
    let width = header.width, height = header.height
    let format: UInt32
    switch (header.colorType, header.bitDepth) {
    case (0, 1), (0, 2), (0, 4), (0, 8): format = formatGray
    case (0, 16): format = formatLinearY
    case (2, 8), (3, 1), (3, 2), (3, 4), (3, 8): format = formatRGB
    case (2, 16): format = formatLinearRGB
    case (4, 8): format = formatGA
    case (4, 16): format = formatRGBA  // rewritten to 8-bit RGBA by preparePNG
    case (6, 8): format = formatRGBA
    case (6, 16): format = formatLinearRGBA
    default:
        throw ImagingError.corruptPNG(name: name, detail: "IHDR has colour type \(header.colorType) with bit depth \(header.bitDepth), which PNG does not allow")
    }
    let channels = Int(1 + (format & 1) + (format & 2))
    let count = width * height
    if format & 4 != 0 {
        // Linear formats: 16-bit samples, native byte order.
        let samples = try decodeWithLibpng(prepared, name: name, width: width, height: height, format: format,
                                           components: channels, as: UInt16.self)
        var pixels = [UInt8](repeating: 0, count: count * 3)
        try samples.withUnsafeBufferPointer { s in
            try pixels.withUnsafeMutableBufferPointer { out in
                switch header.colorType {
                case 0:
                    // I;16 → RGB in Pillow 11.3 clamps: min(v, 255).
                    for i in 0..<count {
                        let v = UInt8(min(s[i], 255))
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    }
                case 2:
                    for i in 0..<(count * 3) { out[i] = UInt8(truncatingIfNeeded: s[i] >> 8) }
                default:
                    // RGBA 16 (the only other linear format requested).
                    for i in 0..<count {
                        guard s[4 * i + 3] == 0xFFFF else {
                            throw ImagingError.unsupported(name: name, detail: "16-bit RGBA PNG with transparent pixels cannot be decoded exactly here")
                        }
                        out[3 * i] = UInt8(truncatingIfNeeded: s[4 * i] >> 8)
                        out[3 * i + 1] = UInt8(truncatingIfNeeded: s[4 * i + 1] >> 8)
                        out[3 * i + 2] = UInt8(truncatingIfNeeded: s[4 * i + 2] >> 8)
                    }
                }
            }
        }
        return RGBImage(unchecked: width, height, pixels)
    }
    let decoded = try decodeWithLibpng(prepared, name: name, width: width, height: height, format: format,
                                       components: channels, as: UInt8.self)
    var pixels = [UInt8](repeating: 0, count: count * 3)
    decoded.withUnsafeBufferPointer { source in
        pixels.withUnsafeMutableBufferPointer { out in
            // 8-bit samples: grey (1), grey+alpha (2), RGB (3), RGBA (4, or 16-bit GA in disguise).
            switch channels {
            case 1:
                for i in 0..<count { let v = source[i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
            case 2:
                for i in 0..<count { let v = source[2 * i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
            case 3:
                for i in 0..<(count * 3) { out[i] = source[i] }
            default:
                if header.colorType == 4 {
                    // Big-endian grey high byte, grey low byte, alpha high, alpha low.
                    for i in 0..<count { let v = source[4 * i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
                } else {
                    for i in 0..<count {
                        out[3 * i] = source[4 * i]; out[3 * i + 1] = source[4 * i + 1]; out[3 * i + 2] = source[4 * i + 2]
                    }
                }
            }
        }
    }
    return RGBImage(unchecked: width, height, pixels)
}

// MARK: - Encoding

/// Encodes with libpng's simplified writer. `samples` holds `width * height * channels` bytes.
private func encodeWithLibpng(width: Int, height: Int, format: UInt32, channels: Int, samples: UnsafeRawBufferPointer) throws -> [UInt8] {
    guard width > 0, height > 0, width <= Int(Int32.max) / max(channels, 1), height <= Int(UInt32.max) else {
        throw ImagingError.encodeFailed(detail: "a \(width)×\(height) image cannot be written as PNG (both sides must be at least 1)")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    defer { png_image_free(&image) }
    var size = 0
    // First call measures, second writes.
    guard png_image_write_to_memory(&image, nil, &size, 0, samples.baseAddress, Int32(width * channels), nil) != 0 else {
        throw ImagingError.encodeFailed(detail: messageOf(image))
    }
    var out = [UInt8](repeating: 0, count: size)
    let ok = out.withUnsafeMutableBytes { buffer in
        png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, samples.baseAddress, Int32(width * channels), nil)
    }
    guard ok != 0 else { throw ImagingError.encodeFailed(detail: messageOf(image)) }
    return Array(out.prefix(size))
}

/// Removes chunks, and optionally rewrites IHDR's bit depth and colour type (fixing its CRC).
private func rewritePNG(_ png: [UInt8], dropping: Set<UInt32>, ihdrDepthAndType: (UInt8, UInt8)? = nil) -> [UInt8] {
    png.withUnsafeBytes { bytes in
        var out = pngSignature
        out.reserveCapacity(bytes.count)
        var position = 8
        while position + 12 <= bytes.count {
            let length = Int(readUInt32BE(bytes, position))
            let type = readUInt32BE(bytes, position + 4)
            guard position + 12 + length <= bytes.count else { break }
            if type == chunkIHDR, let (depth, colorType) = ihdrDepthAndType {
                var ihdr = Array(bytes[(position + 8)..<(position + 8 + length)])
                ihdr[8] = depth
                ihdr[9] = colorType
                ihdr.withUnsafeBytes { appendChunk(type: type, data: $0, to: &out) }
            } else if !dropping.contains(type) {
                out.append(contentsOf: bytes[position..<(position + 12 + length)])
            }
            position += 12 + length
        }
        return out
    }
}

/// Encodes an RGB image as an 8-bit RGB PNG (libpng adds an sRGB chunk, which is what the pixels are).
public func encodePNG(_ image: RGBImage) throws -> [UInt8] {
    try image.pixels.withUnsafeBytes { samples in
        try encodeWithLibpng(width: image.width, height: image.height, format: formatRGB, channels: 3, samples: samples)
    }
}

private func sampleCountMatches(width: Int, height: Int, count: Int) -> Bool {
    let area = width.multipliedReportingOverflow(by: height)
    return width >= 0 && height >= 0 && !area.overflow && area.partialValue == count
}

/// Encodes an 8-bit greyscale PNG (e.g. a semantic label map), no colour chunks.
public func encodeGreyPNG(width: Int, height: Int, samples8: [UInt8]) throws -> [UInt8] {
    guard sampleCountMatches(width: width, height: height, count: samples8.count) else {
        throw ImagingError.encodeFailed(detail: "grey image of \(width)×\(height) needs width·height samples, got \(samples8.count)")
    }
    let png = try samples8.withUnsafeBytes { samples in
        try encodeWithLibpng(width: width, height: height, format: formatGray, channels: 1, samples: samples)
    }
    return rewritePNG(png, dropping: [fourCC("sRGB"), fourCC("gAMA"), fourCC("cHRM")])
}

/// Encodes a 16-bit greyscale PNG (label maps with ids above 255); samples are stored big-endian
/// as PNG requires, with no gAMA chunk.
///
/// libpng's simplified writer would tag linear 16-bit data with gAMA 1.0, so the samples are
/// written as an 8-bit grey+alpha image of (high byte, low byte) pairs and the IHDR is then
/// relabelled as 16-bit grey: both have 2 bytes per pixel, so the filtered rows are identical.
public func encodeGreyPNG(width: Int, height: Int, samples16: [UInt16]) throws -> [UInt8] {
    guard sampleCountMatches(width: width, height: height, count: samples16.count) else {
        throw ImagingError.encodeFailed(detail: "grey image of \(width)×\(height) needs width·height samples, got \(samples16.count)")
    }
    var bigEndian = [UInt8](repeating: 0, count: samples16.count * 2)
    for (i, v) in samples16.enumerated() {
        bigEndian[2 * i] = UInt8(truncatingIfNeeded: v >> 8)
        bigEndian[2 * i + 1] = UInt8(truncatingIfNeeded: v)
    }
    let png = try bigEndian.withUnsafeBytes { samples in
        try encodeWithLibpng(width: width, height: height, format: formatGA, channels: 2, samples: samples)
    }
    return rewritePNG(png, dropping: [fourCC("sRGB"), fourCC("gAMA"), fourCC("cHRM")], ihdrDepthAndType: (16, 0))
}

/// Writes `image` as a PNG, atomically; by default refuses to replace an existing file.
public func writePNG(_ image: RGBImage, to path: String, overwrite: OverwritePolicy = .refuse) throws {
    let png = try encodePNG(image)
    try writeBytes(png, to: path, overwrite: overwrite)
}

/// Writes encoded bytes atomically, turning FileIO's errors into ImagingError.
func writeBytes(_ bytes: [UInt8], to path: String, overwrite: OverwritePolicy) throws {
    do {
        try AtomicFile.write(bytes, to: path, overwrite: overwrite)
    } catch let error as FileError {
        switch error {
        case .wouldOverwrite(let p): throw ImagingError.wouldOverwrite(path: p)
        case .unwritable(let p, let reason): throw ImagingError.unwritable(path: p, reason: reason)
        default: throw ImagingError.unwritable(path: path, reason: error.description)
        }
    }
}

// MARK: - CRC-32 (PNG chunk checksums)

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    crcTable.withUnsafeBufferPointer { table in
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    }
    return c ^ 0xFFFF_FFFF
}
