// pillowBilinearResize equals Pillow's resize(BILINEAR); boxDownscale averages areas exactly.

import Imaging
import Testing
import TestSupport

@Suite struct ResizeTests {
    @Test(arguments: ImageManifest.shared.resize)
    func bilinearMatchesPillow(_ c: ResizeCase) throws {
        let source = try RGBImage(width: c.sourceWidth, height: c.sourceHeight, pixels: fixtureBytes(c.source))
        let resized = pillowBilinearResize(source, width: c.width, height: c.height)
        #expect(resized.width == c.width && resized.height == c.height)
        let expected = try fixtureBytes(c.expected)
        #expect(firstDifference(resized.pixels, expected) == "equal", "\(c.testDescription)")
    }

    /// Cases big enough for both passes to split rows across workers (PillowResize.parallelRows
    /// goes parallel at 200,000 multiply-adds and 2 CPUs; 160×120 → 211×157 does 120·211·3·3 =
    /// 227,880 in the horizontal pass and 157·633·3 = 298,143 in the vertical one).
    static let parallelCases = ImageManifest.shared.resize.filter { c in
        let taps = { (inSize: Int, outSize: Int) in 2 * Int((max(Double(inSize) / Double(outSize), 1)).rounded(.up)) + 1 }
        let horizontal = c.sourceHeight * c.width * taps(c.sourceWidth, c.width) * 3
        let vertical = c.height * c.width * 3 * taps(c.sourceHeight, c.height)
        return horizontal >= 200_000 && vertical >= 200_000
    }

    @Test func parallelResizeEqualsPillowEveryTime() throws {
        #expect(!Self.parallelCases.isEmpty, "no Pillow fixture is large enough to run the parallel path")
        for c in Self.parallelCases {
            let source = try RGBImage(width: c.sourceWidth, height: c.sourceHeight, pixels: fixtureBytes(c.source))
            let expected = try fixtureBytes(c.expected)
            // Repeated: a race between workers (overlapping or missed rows) shows up as a run that differs.
            for run in 0..<20 {
                let resized = pillowBilinearResize(source, width: c.width, height: c.height)
                #expect(firstDifference(resized.pixels, expected) == "equal", "\(c.testDescription), run \(run)")
            }
        }
    }

    @Test func boxDownscaleOfConstantIsConstant() {
        let color = RGBColor(r: 200, g: 17, b: 99)
        let image = RGBImage(width: 37, height: 23, fill: color)
        for (w, h) in [(5, 3), (36, 22), (1, 1), (37, 7), (10, 23)] {
            let small = boxDownscale(image, width: w, height: h)
            #expect(small == RGBImage(width: w, height: h, fill: color), "\(w)×\(h)")
        }
    }

    @Test func boxDownscaleByTwoIsBlockMean() throws {
        let image = noiseImage(width: 8, height: 6, seed: 5)
        let small = boxDownscale(image, width: 4, height: 3)
        for y in 0..<3 {
            for x in 0..<4 {
                let block = [image[2 * x, 2 * y], image[2 * x + 1, 2 * y], image[2 * x, 2 * y + 1], image[2 * x + 1, 2 * y + 1]]
                func mean(_ f: (RGBColor) -> UInt8) -> UInt8 { UInt8((block.map { Int(f($0)) }.reduce(0, +) + 2) / 4) }
                #expect(small[x, y] == RGBColor(r: mean(\.r), g: mean(\.g), b: mean(\.b)), "(\(x), \(y))")
            }
        }
    }

    @Test func boxDownscaleWeighsPartialPixels() throws {
        // 3 → 2: output 0 = (2·a + 1·b) / 3, output 1 = (1·b + 2·c) / 3 (rounded half up).
        let image = try RGBImage(width: 3, height: 1, pixels: [0, 0, 0, 90, 90, 90, 255, 255, 255])
        let small = boxDownscale(image, width: 2, height: 1)
        #expect(small.pixels == [30, 30, 30, 200, 200, 200])
    }
}

@Suite struct ValueTypeTests {
    @Test func rgbImageChecksItsBuffer() {
        #expect(throws: ImagingError.self) { try RGBImage(width: 2, height: 2, pixels: [0, 0, 0]) }
        #expect(throws: ImagingError.self) { try RGBImage(width: -1, height: 2, pixels: []) }
        #expect(throws: ImagingError.self) { try RGBImage(width: Int.max / 2, height: 3, pixels: []) }
        #expect((try? RGBImage(width: 1, height: 1, pixels: [1, 2, 3]))?[0, 0] == RGBColor(r: 1, g: 2, b: 3))
    }

    @Test func pixelAccessors() {
        var image = RGBImage(width: 3, height: 2)
        image[2, 1] = RGBColor(r: 9, g: 8, b: 7)
        #expect(image.pixels[15...17] == [9, 8, 7])
        #expect(image.pixel(x: 3, y: 0) == nil)
        #expect(image.pixel(x: 2, y: 1) == RGBColor(r: 9, g: 8, b: 7))
    }

    @Test func hexColors() throws {
        #expect(try RGBColor(hex: "#1f77B4") == RGBColor(r: 0x1F, g: 0x77, b: 0xB4))
        #expect(RGBColor(r: 0x1F, g: 0x77, b: 0xB4).hex == "#1f77b4")
        for bad in ["1f77b4", "#1f77b", "#1f77b4f", "#gg0000", "", "#"] {
            #expect(throws: ImagingError.invalidColor(bad)) { try RGBColor(hex: bad) }
        }
    }
}
