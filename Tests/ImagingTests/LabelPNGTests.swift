// loadLabelPNG returns the stored samples of 8- and 16-bit greyscale PNGs, from files on disk.
// (These failed in release builds only while the reader let libpng read a freed buffer.)

import Foundation
import Imaging
import Testing
import TestSupport

@Suite struct LabelPNGTests {
    @Test func eightBitFixtureEqualsPillowsSamples() throws {
        let label = try loadLabelPNG(path: fixturePath("imaging/grey8.png"))
        // Pillow's "L" → RGB replicates the sample, so the red channel is the stored value.
        let rgb = try fixtureBytes("grey8.png.rgb")
        #expect(label.width * label.height * 3 == rgb.count)
        #expect(label.values == stride(from: 0, to: rgb.count, by: 3).map { UInt16(rgb[$0]) })
    }

    @Test(arguments: ["grey16.png", "grey16_pil.png", "grey16_interlaced.png"])
    func sixteenBitFixtureAgreesWithPillowsClamp(_ file: String) throws {
        let label = try loadLabelPNG(path: fixturePath("imaging/" + file))
        let rgb = try fixtureBytes(file + ".rgb")
        #expect(label.width * label.height * 3 == rgb.count)
        // Pillow's I;16 → RGB clamps at 255, so only min(v, 255) can be checked against it...
        #expect(label.values.map { min($0, 255) } == stride(from: 0, to: rgb.count, by: 3).map { UInt16(rgb[$0]) })
        // ...and the fixture must hold values above 255 for the 16-bit path to be tested at all.
        #expect(label.values.contains { $0 > 255 }, "\(file)")
    }

    /// Label-map-like runs (small files) and noise (large files): in a release build the reader once
    /// failed on the former ("IDAT: unknown compression method") whenever the file was a few KB.
    static let sixteenBitCases: [(width: Int, height: Int, noise: Bool)] = [
        (1, 1, false), (37, 23, true), (256, 3, true), (256, 192, false), (256, 192, true), (640, 480, false),
    ]

    @Test(arguments: sixteenBitCases)
    func sixteenBitRoundTripThroughAFile(_ c: (width: Int, height: Int, noise: Bool)) throws {
        let values: [UInt16] = (0..<(c.width * c.height)).map { (i: Int) -> UInt16 in
            let noise = UInt16(truncatingIfNeeded: i &* 40503 &+ 7)
            let run = UInt16(i / 97 % 9) * 300
            return c.noise ? noise : run
        }
        let path = temporaryDirectory() + "/labels.png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(try encodeGreyPNG(width: c.width, height: c.height, samples16: values)).write(to: URL(fileURLWithPath: path))
        let label = try loadLabelPNG(path: path)
        #expect(label.width == c.width && label.height == c.height && label.values == values)
    }

    @Test(arguments: [(41, 17), (256, 192)])
    func eightBitRoundTripThroughAFile(_ size: (Int, Int)) throws {
        let (w, h) = size
        let values = (0..<(w * h)).map { UInt8(truncatingIfNeeded: $0 / 61 * 13 + 5) }
        let path = temporaryDirectory() + "/labels8.png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(try encodeGreyPNG(width: w, height: h, samples8: values)).write(to: URL(fileURLWithPath: path))
        let label = try loadLabelPNG(path: path)
        #expect(label.width == w && label.height == h && label.values == values.map(UInt16.init))
    }

    /// The label maps `maskscope eval` reads; decodeImage (tested against Pillow) sees min(v, 255).
    @Test(arguments: ["test-000000", "test-000001", "test-000002", "test-000003"])
    func evalPredictionsAgreeWithTheImageDecoder(_ stem: String) throws {
        let path = fixturePath("eval/pred/\(stem).semantic.png")
        let label = try loadLabelPNG(path: path)
        let image = try loadImage(path: path)
        #expect(label.width == image.width && label.height == image.height)
        #expect(label.values.map { UInt8(min($0, 255)) } == stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] })
    }

    @Test func colourPNGIsRefusedNamingTheFile() throws {
        let path = fixturePath("imaging/rgb8.png")
        #expect {
            _ = try loadLabelPNG(path: path)
        } throws: { error in
            String(describing: error).contains(path) && String(describing: error).contains("greyscale")
        }
    }
}
