// Pixel protocols: the sixel, kitty and iTerm2 bytes decoded back to pixels and compared with the
// pane's picture; the probe's replies from scripted terminals; the choice of protocol.

import Foundation
import Imaging
import Testing
import Themes
@testable import Explorer

@Suite("Explorer graphics")
struct GraphicsTests {
    /// A pane picture from the fixture model's document at pixel resolution (panoptic view, boundaries on).
    static func panePicture(width: Int, height: Int, view: ExplorerView = .panoptic) -> RGBImage {
        var state = ExplorerState()
        state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: ImagePaneTests.document.predictions.layers.count))
        state.view = view
        return ImagePane(document: ImagePaneTests.document, state: state, theme: Theme.standard).render(width: width, height: height)
    }

    /// A picture with few colours (flat regions and a few lines): every colour gets its own register.
    static func flatPicture(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let band = (x / 7 + y / 5) % 12
                image[x, y] = RGBColor(r: UInt8(20 * band), g: UInt8(255 - 20 * band), b: UInt8((x * y) % 3 * 100))
            }
        }
        return image
    }

    @Test("sixel decodes back to the picture within the 5-bit palette's error when every colour has a register",
          arguments: [(37, 23), (6, 6), (1, 1), (200, 13)])
    func sixelRoundTripExact(_ width: Int, _ height: Int) throws {
        let picture = Self.flatPicture(width: width, height: height)
        let decoded = try decodeSixel(SixelEncoder.encode(picture, registers: 256))
        #expect(decoded.width == width && decoded.height == height)
        // 5-bit cell centre (±4) plus the percent rounding of a register (±1.3).
        let worst = zip(decoded.pixels, picture.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 6, "max channel error \(worst)")
    }

    @Test("sixel of the pane picture: exactly the quantised picture, close to the pane, for 256 and 16 registers",
          arguments: [256, 16])
    func sixelPane(_ registers: Int) throws {
        let picture = Self.panePicture(width: 150, height: 113)
        let quantized = SixelEncoder.quantize(picture, registers: registers)
        #expect(quantized.palette.count <= registers)
        let decoded = try decodeSixel(SixelEncoder.encode(quantized))
        for i in 0..<(picture.width * picture.height) {
            let c = quantized.palette[Int(quantized.indices[i])]
            guard decoded.pixels[3 * i] == c.r, decoded.pixels[3 * i + 1] == c.g, decoded.pixels[3 * i + 2] == c.b else {
                Issue.record("pixel \(i % picture.width),\(i / picture.width): decoded differs from its register"); return
            }
        }
        let mean = Double(zip(decoded.pixels, picture.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(picture.pixels.count)
        #expect(mean < (registers == 256 ? 4 : 16), "mean channel error \(mean)")
    }

    @Test("sixel enlarged while encoding: each shown pixel is the register of its nearest source pixel",
          arguments: [(150, 113, 361, 272), (37, 23, 37, 23), (5, 3, 17, 11), (40, 30, 41, 31)])
    func sixelEnlarged(_ width: Int, _ height: Int, _ shownWidth: Int, _ shownHeight: Int) throws {
        let picture = Self.panePicture(width: width, height: height)
        let quantized = SixelEncoder.quantize(picture, registers: 256)
        let decoded = try decodeSixel(SixelEncoder.encode(quantized, width: shownWidth, height: shownHeight))
        #expect(decoded.width == shownWidth && decoded.height == shownHeight)
        for y in 0..<shownHeight {
            for x in 0..<shownWidth {
                let c = quantized.palette[Int(quantized.indices[(y * height / shownHeight) * width + x * width / shownWidth])]
                guard decoded[x, y] == c else { Issue.record("shown pixel \(x),\(y) is not its source pixel's register"); return }
            }
        }
    }

    @Test("kitty: one image and placement id, the pane's RGB bytes exactly, chunked at 4096")
    func kittyRoundTrip() throws {
        let picture = Self.panePicture(width: 120, height: 90)
        let bytes = KittyGraphics.place(picture, columns: 12, rows: 5)
        let (keys, payload) = try decodeKitty(bytes)
        #expect(keys["a"] == "T" && keys["f"] == "24" && keys["s"] == "120" && keys["v"] == "90")
        #expect(keys["i"] == "1" && keys["p"] == "1" && keys["c"] == "12" && keys["r"] == "5" && keys["C"] == "1" && keys["q"] == "2")
        #expect(Array(payload) == picture.pixels)
        // 32 400 bytes → 43 200 base64 characters → 11 chunks.
        #expect(String(decoding: bytes, as: UTF8.self).components(separatedBy: "\u{1B}_G").count - 1 == 11)
        #expect(String(decoding: KittyGraphics.delete(), as: UTF8.self) == "\u{1B}_Ga=d,d=I,i=1,q=2\u{1B}\\")
    }

    @Test("iTerm2: the PNG in the OSC 1337 payload decodes to the pane picture")
    func iTermRoundTrip() throws {
        let picture = Self.panePicture(width: 64, height: 48)
        let text = String(decoding: try ITerm2Image.place(picture, columns: 8, rows: 3), as: UTF8.self)
        #expect(text.hasPrefix("\u{1B}]1337;File=inline=1;") && text.hasSuffix("\u{07}"))
        #expect(text.contains("width=8;height=3"))
        let base64 = text[text.index(after: try #require(text.firstIndex(of: ":")))...].dropLast()
        let png = try #require(Data(base64Encoded: String(base64)))
        let decoded = try Array(png).withUnsafeBytes { try decodePNG(bytes: $0, name: "iterm2") }
        #expect(decoded == picture)
    }

    // MARK: the probe's replies

    static let da1None = "\u{1B}[?62;22c", da1Sixel = "\u{1B}[?63;1;2;4;6;9;15;22c"

    @Test("replies from kitty, a sixel-only terminal, one with neither, and none at all")
    func replies() {
        let kitty = TerminalReplies.parse(Array(("\u{1B}_Gi=31;OK\u{1B}\\" + "\u{1B}[6;20;10t" + Self.da1None).utf8))
        #expect(kitty.complete && kitty.kittyGraphics && !kitty.sixel && kitty.cellPixels == PixelSize(width: 10, height: 20))

        let sixel = TerminalReplies.parse(Array(("\u{1B}[?1;0;16S\u{1B}[?2;0;800;480S\u{1B}[6;17;9t" + Self.da1Sixel).utf8))
        #expect(sixel.complete && !sixel.kittyGraphics && sixel.sixel)
        #expect(sixel.colorRegisters == 16 && sixel.sixelMaximum == PixelSize(width: 800, height: 480))
        #expect(sixel.cellPixels == PixelSize(width: 9, height: 17))

        let neither = TerminalReplies.parse(Array(Self.da1None.utf8))
        #expect(neither.complete && !neither.kittyGraphics && !neither.sixel)

        // A kitty error reply, an XTSMGRAPHICS failure status and a cut-off DA1 are not support.
        let refusals = TerminalReplies.parse(Array("\u{1B}_Gi=31;ENOTSUPPORTED:no\u{1B}\\\u{1B}[?1;3;0S\u{1B}[?63;4".utf8))
        #expect(!refusals.complete && !refusals.kittyGraphics && refusals.colorRegisters == nil && !refusals.sixel)
        #expect(!TerminalReplies.parse([]).complete)
    }

    @Test("the query ends with DA1 and asks kitty with an id no picture uses")
    func query() {
        let text = String(decoding: GraphicsProbe.query, as: UTF8.self)
        #expect(text.hasSuffix("\u{1B}[c") && text.hasPrefix("\u{1B}_Gi=31,") && text.contains("a=q"))
        #expect(GraphicsProbe.kittyQueryID != KittyGraphics.paneImageID)
    }

    // MARK: choosing

    static let cell = PixelSize(width: 10, height: 20)

    @Test("auto: environment hints, then the probe, else half-blocks")
    func choose() {
        func auto(_ environment: [String: String], _ replies: TerminalReplies?, tmux: Bool = false, passthrough: Bool = false,
                  kernel: PixelSize? = GraphicsTests.cell) -> GraphicsProtocol {
            GraphicsSelection.decide(request: .auto, environment: environment, insideTmux: tmux, passthrough: passthrough,
                                     kernelCell: kernel, replies: replies).protocolInUse
        }
        let kitty = TerminalReplies.parse(Array(("\u{1B}_Gi=31;OK\u{1B}\\" + Self.da1None).utf8))
        let sixel = TerminalReplies.parse(Array(Self.da1Sixel.utf8))
        let neither = TerminalReplies.parse(Array(Self.da1None.utf8))
        #expect(auto(["TERM": "xterm-kitty"], nil) == .kitty)
        #expect(auto(["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"], nil) == .iterm2)
        #expect(auto(["TERM": "foot"], nil) == .sixel)
        #expect(auto(["TERM": "xterm-256color"], kitty) == .kitty)
        #expect(auto(["TERM": "xterm"], sixel) == .sixel)           // xterm -ti vt340
        #expect(auto(["TERM": "xterm-256color"], neither) == .halfblocks)
        #expect(auto(["TERM": "xterm-256color"], TerminalReplies()) == .halfblocks)   // no reply in 150 ms
        #expect(auto(["TERM": "xterm-256color"], nil) == .halfblocks)
        // tmux: passthrough on → the probe's answer, wrapped; off → half-blocks with a hint.
        #expect(auto(["TERM": "tmux-256color"], sixel, tmux: true, passthrough: true) == .sixel)
        let off = GraphicsSelection.decide(request: .sixel, environment: ["TERM": "tmux-256color"], insideTmux: true,
                                           passthrough: false, kernelCell: Self.cell, replies: sixel)
        #expect(off.protocolInUse == .halfblocks && off.note.contains("allow-passthrough"))
        // tmux ≥ 3.4 answering DA1 with sixel itself: sixel straight into the pane, not wrapped.
        let native = GraphicsSelection.decide(request: .auto, environment: ["TERM": "tmux-256color"], insideTmux: true,
                                              passthrough: false, tmuxSixel: true, kernelCell: Self.cell, replies: sixel)
        #expect(native.protocolInUse == .sixel && !native.tmuxPassthrough)
        let withoutSixel = GraphicsSelection.decide(request: .auto, environment: ["TERM": "tmux-256color"], insideTmux: true,
                                                    passthrough: false, tmuxSixel: true, kernelCell: Self.cell, replies: neither)
        #expect(withoutSixel.protocolInUse == .halfblocks && withoutSixel.note.contains("allow-passthrough"))
        #expect(GraphicsSelection.decide(request: .kitty, environment: [:], insideTmux: true, passthrough: false, tmuxSixel: true,
                                         kernelCell: Self.cell, replies: sixel).protocolInUse == .halfblocks)
        // No cell size from the kernel or the terminal: a pixel picture cannot be sized.
        #expect(auto(["TERM": "xterm"], sixel, kernel: nil) == .halfblocks)
        #expect(auto(["TERM": "xterm"], TerminalReplies.parse(Array(("\u{1B}[6;16;8t" + Self.da1Sixel).utf8)), kernel: nil) == .sixel)
        // An explicit protocol is used without asking which one.
        #expect(GraphicsSelection.decide(request: .kitty, environment: [:], insideTmux: false, passthrough: false,
                                         kernelCell: Self.cell, replies: nil).protocolInUse == .kitty)
    }

    @Test("tmux 3.4 and later may draw sixel itself; 3.3a and older only pass it through",
          arguments: [("tmux 3.3a", false), ("tmux 3.2", false), ("tmux 2.9a", false), ("tmux 3.4", true), ("tmux 3.5a", true),
                      ("tmux next-3.6", true), ("tmux 10.0", true), ("tmux master", true)])
    func tmuxVersion(_ version: String, _ sixel: Bool) {
        #expect(GraphicsSelection.tmuxMayDrawSixel(version: version) == sixel)
    }

    @Test("option over MASKSCOPE_GRAPHICS over auto; unknown names refused")
    func request() {
        #expect(GraphicsRequest.from(option: "sixel", environment: ["MASKSCOPE_GRAPHICS": "kitty"]) == .sixel)
        #expect(GraphicsRequest.from(option: nil, environment: ["MASKSCOPE_GRAPHICS": "Kitty"]) == .kitty)
        #expect(GraphicsRequest.from(option: nil, environment: [:]) == .auto)
        #expect(GraphicsRequest.from(option: "png", environment: [:]) == nil)
        #expect(GraphicsRequest.from(option: nil, environment: ["MASKSCOPE_GRAPHICS": "vga"]) == nil)
    }

    @Test("tmux passthrough wraps the sequence and doubles every ESC")
    func passthrough() {
        let wrapped = String(decoding: tmuxPassthrough(Array("\u{1B}_Ga=d\u{1B}\\".utf8)), as: UTF8.self)
        #expect(wrapped == "\u{1B}Ptmux;\u{1B}\u{1B}_Ga=d\u{1B}\u{1B}\\\u{1B}\\")
    }

    // MARK: placement and the composed frame

    @Test("pixel placement: aspect kept, whole cells, rendered with at most the image's pixels, sixel shown enlarged")
    func placement() {
        // 640×480 in 150×57 cells of 10×20 px: the box is 1500×1140, height-bound → 1520 would be too wide.
        let sixel = PicturePlacement.fit(visibleWidth: 640, visibleHeight: 480, paneColumns: 150, paneRows: 57, cell: Self.cell, terminalScales: false)
        #expect(sixel == PicturePlacement(columns: 150, rows: 57, width: 640, height: 480, shownWidth: 1500, shownHeight: 1125))
        // An image larger than the pane is rendered at the shown size.
        let large = PicturePlacement.fit(visibleWidth: 3200, visibleHeight: 2400, paneColumns: 150, paneRows: 57, cell: Self.cell, terminalScales: false)
        #expect(large == PicturePlacement(columns: 150, rows: 57, width: 1500, height: 1125))
        let capped = PicturePlacement.fit(visibleWidth: 640, visibleHeight: 480, paneColumns: 150, paneRows: 57, cell: Self.cell,
                                          terminalScales: false, maximum: PixelSize(width: 800, height: 480))
        #expect(capped == PicturePlacement(columns: 64, rows: 24, width: 640, height: 480))
        let kitty = PicturePlacement.fit(visibleWidth: 640, visibleHeight: 480, paneColumns: 150, paneRows: 57, cell: Self.cell, terminalScales: true)
        #expect(kitty == PicturePlacement(columns: 150, rows: 57, width: 640, height: 480))
        let small = PicturePlacement.fit(visibleWidth: 2000, visibleHeight: 100, paneColumns: 40, paneRows: 20, cell: Self.cell, terminalScales: true)
        #expect(small == PicturePlacement(columns: 40, rows: 1, width: 400, height: 20))
    }

    @Test("with a pixel protocol the frame carries the picture and leaves its cells blank; the help box falls back to cells")
    func composedFrame() throws {
        let document = ImagePaneTests.document
        var state = ExplorerState()
        state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: document.predictions.layers.count))
        let setup = GraphicsSetup(protocolInUse: .sixel, cellPixels: PixelSize(width: 8, height: 16))
        let composer = FrameComposer(theme: Theme.standard, graphics: setup)
        let frame = composer.compose(state: state, document: document, columns: 120, rows: 40, title: "t", message: "")
        let picture = try #require(frame.picture)
        let r = frame.imageRegion
        let shown = try #require(frame.pictureShown)
        #expect(shown.width <= r.columns * 8 && shown.width > (r.columns - 1) * 8)
        #expect(shown.height <= r.rows * 16 && shown.height > (r.rows - 1) * 16)
        #expect(abs(Double(shown.width) / Double(shown.height) - 200.0 / 150.0) < 0.02)
        // Rendered at the image's own 200×150 pixels; the sixel encoder enlarges it.
        #expect(picture.width == 200 && picture.height == 150)
        // Composing the same state again (the explore loop's idle polls) renders nothing.
        let renders = composer.pictureCache.renders
        let again = composer.compose(state: state, document: document, columns: 120, rows: 40, title: "t", message: "other status")
        #expect(composer.pictureCache.renders == renders && again.picture == picture)
        var moved = state
        moved.opacity = 0.3
        _ = composer.compose(state: moved, document: document, columns: 120, rows: 40, title: "t", message: "")
        #expect(composer.pictureCache.renders == renders + 1)
        for row in r.row..<(r.row + r.rows) { for column in r.column..<(r.column + r.columns) { #expect(frame.grid[column, row] == .blank) } }
        // The picture is the pane's own at that size.
        #expect(picture == ImagePane(document: document, state: state, theme: Theme.standard).render(width: picture.width, height: picture.height))
        state.showHelp = true
        let covered = composer.compose(state: state, document: document, columns: 120, rows: 40, title: "t", message: "")
        #expect(covered.picture == nil)
        let halfBlocks = FrameComposer(theme: Theme.standard).compose(state: ExplorerState(), document: document, columns: 120, rows: 40, title: "t", message: "")
        #expect(halfBlocks.picture == nil)
    }

    @Test("queries view with a pixel protocol: the filmstrip thumbnails are pictures at the cells' pixels, their cells blank, labels text")
    func filmstripPictures() throws {
        let document = ImagePaneTests.document
        var state = ExplorerState()
        state = ExplorerReducer.reduce(state, .resultsLoaded(layerCount: document.predictions.layers.count))
        state = ExplorerReducer.reduce(state, .key(.character("5")))
        #expect(state.view == .queries)
        state = ExplorerReducer.reduce(state, .listChanged(count: document.listCount(for: state.view)))
        let cell = PixelSize(width: 8, height: 16)
        let composer = FrameComposer(theme: Theme.standard, graphics: GraphicsSetup(protocolInUse: .sixel, cellPixels: cell))
        let frame = composer.compose(state: state, document: document, columns: 160, rows: 50, title: "t", message: "")
        let strip = frame.pictures.filter { $0.imageID != KittyGraphics.paneImageID }
        let layers = document.predictions.layers
        #expect(frame.picture != nil && strip.count == layers.count)
        let query = document.queries[state.selection].query
        for (index, picture) in strip.enumerated() {
            #expect(picture.imageID == KittyGraphics.paneImageID + 1 + index)
            #expect(picture.rows == LayerFilmstrip.pictureRows && picture.image.width == picture.columns * cell.width
                    && picture.image.height == picture.rows * cell.height && picture.shown == PixelSize(width: picture.image.width, height: picture.image.height))
            #expect(picture.image == LayerFilmstrip.thumbnail(layers[index].maskLogits, query: query, width: picture.image.width, height: picture.image.height))
            for row in picture.row..<(picture.row + picture.rows) {
                for column in picture.column..<(picture.column + picture.columns) { #expect(frame.grid[column, row] == .blank) }
            }
            // The label under it stays text.
            #expect(frame.grid[picture.column, picture.row + picture.rows].glyph == "L")
        }
        // The same frame again renders no thumbnail; a new selection does.
        let renders = composer.filmstripCache.renders
        let again = composer.compose(state: state, document: document, columns: 160, rows: 50, title: "t", message: "x")
        #expect(composer.filmstripCache.renders == renders && again.pictures == frame.pictures)
        // Half-blocks: the same strip drawn into the cells, no pictures.
        let cells = FrameComposer(theme: Theme.standard).compose(state: state, document: document, columns: 160, rows: 50, title: "t", message: "")
        #expect(cells.pictures.isEmpty)
        let first = try #require(strip.first)
        #expect(cells.grid[first.column, first.row] != .blank)
    }
}
