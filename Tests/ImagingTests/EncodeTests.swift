// PNG encoding round-trips exactly, and writing never replaces a file unasked.

import Foundation
import Imaging
import Testing
import TestSupport

func noiseImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var state = seed
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for i in pixels.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        pixels[i] = UInt8(truncatingIfNeeded: state >> 56)
    }
    return try! RGBImage(width: width, height: height, pixels: pixels)  // size is right by construction
}

func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "imaging-tests-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct EncodeTests {
    @Test(arguments: [(1, 1), (23, 17), (64, 3), (3, 64)])
    func rgbRoundTrip(_ size: (Int, Int)) throws {
        let image = noiseImage(width: size.0, height: size.1, seed: UInt64(size.0 * 1000 + size.1))
        let png = try encodePNG(image)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try decodeImage(bytes: png, name: "roundtrip.png") == image)
    }

    @Test func grey8RoundTrip() throws {
        let (w, h) = (19, 7)
        let samples = (0..<(w * h)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let png = try encodeGreyPNG(width: w, height: h, samples8: samples)
        #expect(png[24] == 8 && png[25] == 0, "IHDR: 8-bit grey")
        let decoded = try decodeImage(bytes: png, name: "grey8.png")
        #expect(decoded.pixels == samples.flatMap { [$0, $0, $0] })
    }

    @Test func grey16RoundTripIsBigEndianAndLossless() throws {
        let (w, h) = (13, 5)
        let samples = (0..<(w * h)).map { UInt16(truncatingIfNeeded: $0 * 7919 + 3) }
        let png = try encodeGreyPNG(width: w, height: h, samples16: samples)
        #expect(png[24] == 16 && png[25] == 0, "IHDR: 16-bit grey")
        // Decoding follows Pillow (I;16 → RGB clamps at 255), so check that path...
        let decoded = try decodeImage(bytes: png, name: "grey16.png")
        #expect(decoded.pixels == samples.flatMap { v -> [UInt8] in let c = UInt8(min(v, 255)); return [c, c, c] })
        // ...and the exact 16-bit values through a grey16 → GA8 view of the same file: the raw
        // big-endian bytes come back as (grey, alpha) pairs, so high byte = grey, low byte = alpha.
        var relabelled = png
        relabelled[24] = 8; relabelled[25] = 4
        fixIHDRCRC(&relabelled)
        let pairs = try decodeImage(bytes: relabelled, name: "ga.png")
        #expect(pairs.pixels == samples.flatMap { v -> [UInt8] in let c = UInt8(v >> 8); return [c, c, c] })
        #expect(!containsChunk(png, "gAMA"))
    }

    @Test func greyEncodersCheckTheSampleCount() {
        #expect(throws: ImagingError.self) { try encodeGreyPNG(width: 4, height: 4, samples8: [0, 1]) }
        #expect(throws: ImagingError.self) { try encodeGreyPNG(width: 4, height: 4, samples16: [0, 1]) }
    }

    @Test func writePNGRefusesToOverwrite() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.png"
        let first = noiseImage(width: 5, height: 4, seed: 1)
        try writePNG(first, to: path)
        #expect(try loadImage(path: path) == first)
        let second = noiseImage(width: 5, height: 4, seed: 2)
        #expect(throws: ImagingError.wouldOverwrite(path: path)) { try writePNG(second, to: path) }
        #expect(try loadImage(path: path) == first, "refused write left the file alone")
        try writePNG(second, to: path, overwrite: .replace)
        #expect(try loadImage(path: path) == second)
    }

    @Test func writePNGIntoMissingDirectoryIsAnImagingError() {
        let path = "/nonexistent-\(UUID().uuidString)/x.png"
        let error = #expect(throws: ImagingError.self) { try writePNG(noiseImage(width: 2, height: 2, seed: 3), to: path) }
        #expect(error?.description.contains(path) == true)
    }
}

private func containsChunk(_ png: [UInt8], _ name: String) -> Bool {
    let tag = Array(name.utf8)
    var p = 8
    while p + 8 <= png.count {
        let length = Int(png[p]) << 24 | Int(png[p + 1]) << 16 | Int(png[p + 2]) << 8 | Int(png[p + 3])
        if Array(png[(p + 4)..<(p + 8)]) == tag { return true }
        p += 12 + length
    }
    return false
}

private func fixIHDRCRC(_ png: inout [UInt8]) {
    var c: UInt32 = 0xFFFF_FFFF
    for b in png[12..<29] {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    c ^= 0xFFFF_FFFF
    png[29] = UInt8(c >> 24); png[30] = UInt8((c >> 16) & 0xFF); png[31] = UInt8((c >> 8) & 0xFF); png[32] = UInt8(c & 0xFF)
}
