// The explorer's terminal-independent rendering: half-block cells, fitting, damage tracking,
// colour capability and the 256-colour quantiser.

import Imaging
import Testing
@testable import Explorer

@Suite("Explorer rendering")
struct RenderingTests {
    let red = RGBColor(r: 255, g: 0, b: 0), blue = RGBColor(r: 0, g: 0, b: 255), white = RGBColor(r: 255, g: 255, b: 255)

    @Test("half blocks: upper pixel as foreground, lower as background, equal halves as a space")
    func blitter() throws {
        // 2×3 picture: column 0 red over blue then white; column 1 all white.
        let image = try RGBImage(width: 2, height: 3, pixels: [255, 0, 0, 255, 255, 255,
                                                                0, 0, 255, 255, 255, 255,
                                                                255, 255, 255, 255, 255, 255])
        var grid = CellGrid(columns: 4, rows: 3)
        HalfBlockBlitter.draw(image, into: &grid, column: 1, row: 1)
        #expect(grid[1, 1] == Cell(glyph: "\u{2580}", foreground: .rgb(red), background: .rgb(blue)))
        #expect(grid[2, 1] == Cell(glyph: " ", background: .rgb(white)))
        // The odd last pixel row has no lower half: drawn as a full cell of its colour.
        #expect(grid[1, 2] == Cell(glyph: " ", background: .rgb(white)))
        #expect(grid[0, 0] == .blank && grid[3, 2] == .blank)
    }

    @Test("fitting keeps the aspect ratio with square half-block pixels", arguments: [
        (256, 192, 80, 24, 64, 24), (256, 192, 200, 60, 160, 60), (100, 10, 50, 50, 50, 3), (10, 100, 80, 20, 4, 20),
    ])
    func fit(_ width: Int, _ height: Int, _ maxColumns: Int, _ maxRows: Int, _ columns: Int, _ rows: Int) {
        let result = HalfBlockBlitter.fit(width: width, height: height, maxColumns: maxColumns, maxRows: maxRows)
        #expect(result.columns == columns && result.rows == rows, "\(result)")
    }

    @Test("only changed cells are reported")
    func damage() {
        var before = CellGrid(columns: 5, rows: 2)
        before.write("hello", column: 0, row: 0)
        var after = before
        after.write("j", column: 0, row: 0)
        after.write("!", column: 4, row: 1)
        let changed = after.changedPositions(since: before)
        #expect(changed.count == 2 && changed[0] == (0, 0) && changed[1] == (4, 1))
        #expect(after.changedPositions(since: CellGrid(columns: 4, rows: 2)).count == 10)
        #expect(after.write("abcdef", column: 3, row: 1) == 5)   // clipped at the edge
    }

    @Test("colour capability from the environment")
    func capability() {
        #expect(ColorCapability.detect(environment: ["COLORTERM": "truecolor", "TERM": "xterm"]) == .trueColor)
        #expect(ColorCapability.detect(environment: ["TERM": "xterm-direct"]) == .trueColor)
        #expect(ColorCapability.detect(environment: ["TERM": "screen-256color"]) == .palette256)
        #expect(ColorCapability.detect(environment: ["TERM": "xterm"], terminfoColors: 256) == .palette256)
        #expect(ColorCapability.detect(environment: ["TERM": "vt100"]) == .palette8)
        #expect(ColorCapability.chromeWithoutColor(environment: ["NO_COLOR": "1"]))
        #expect(!ColorCapability.chromeWithoutColor(environment: ["NO_COLOR": ""]))
    }

    @Test("the 256-colour quantiser returns the true nearest entry and never 0…15")
    func quantiser() {
        // Every palette entry maps to itself (or an identical colour).
        for index in 16...255 {
            let nearest = ColorQuantizer.nearest256(ColorQuantizer.color(ofIndex: index))
            #expect(ColorQuantizer.color(ofIndex: nearest) == ColorQuantizer.color(ofIndex: index))
        }
        // Against a brute-force search over all 240 entries, on a grid of colours.
        for r in stride(from: 0, through: 255, by: 17) {
            for g in stride(from: 0, through: 255, by: 17) {
                for b in stride(from: 0, through: 255, by: 17) {
                    let color = RGBColor(r: UInt8(r), g: UInt8(g), b: UInt8(b))
                    let best = (16...255).min { ColorQuantizer.distance(ColorQuantizer.color(ofIndex: $0), color) < ColorQuantizer.distance(ColorQuantizer.color(ofIndex: $1), color) }!
                    let ours = ColorQuantizer.nearest256(color)
                    #expect(ours >= 16)
                    #expect(ColorQuantizer.distance(ColorQuantizer.color(ofIndex: ours), color) == ColorQuantizer.distance(ColorQuantizer.color(ofIndex: best), color),
                            "\(color): ours \(ours), nearest \(best)")
                }
            }
        }
    }
}

@Suite("Cell encoding per colour capability")
struct CellEncodingTests {
    let cell = Cell(glyph: "\u{2580}", foreground: .rgb(RGBColor(r: 255, g: 0, b: 0)), background: .rgb(RGBColor(r: 0, g: 0, b: 255)))

    @Test("24-bit, 256-colour and 8-colour sequences for the same half-block cell")
    func modes() {
        var truecolor = CellEncoder(capability: .trueColor, utf8: true)
        #expect(truecolor.sgr(cell) == "\u{1B}[38;2;255;0;0;48;2;0;0;255m" && truecolor.glyph(cell) == "\u{2580}")
        var palette = CellEncoder(capability: .palette256, utf8: true)
        #expect(palette.sgr(cell) == "\u{1B}[38;5;196;48;5;21m")   // pure red and blue are cube corners
        var basic = CellEncoder(capability: .palette8, utf8: true)
        #expect(basic.sgr(cell) == "\u{1B}[31;44m")
        var plain = CellEncoder(capability: .trueColor, utf8: true)
        #expect(plain.sgr(Cell(glyph: "x")) == "\u{1B}[39;49m")
    }

    @Test("without UTF-8 a half block becomes a space in the mean colour")
    func ascii() {
        var encoder = CellEncoder(capability: .trueColor, utf8: false)
        #expect(encoder.glyph(cell) == " ")
        #expect(encoder.sgr(cell) == "\u{1B}[48;2;127;0;127m")
    }
}
