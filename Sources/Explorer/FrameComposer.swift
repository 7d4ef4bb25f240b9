// Draws a whole frame of cells for a state: title, image pane, list, layer line, status line, and
// the help or details overlay. Pure: the same inputs give the same grid.

import Foundation
import Imaging
import Segmentation
import TensorCore
import Themes

public struct ComposedFrame: Sendable {
    public var grid: CellGrid
    /// Where the picture is (cells): the backend paints this region with its own colour writer.
    public var imageRegion: (column: Int, row: Int, columns: Int, rows: Int)
    /// The part of the image the picture shows (zoom and pan), and the image's size.
    public var visible = PixelRectangle(x: 0, y: 0, width: 0, height: 0)
    public var imageSize = (width: 0, height: 0)
    /// With a pixel protocol: the pictures at pixel resolution, the pane's first, each over cells the
    /// grid leaves blank. Empty when the pictures are half-block cells in the grid.
    public var pictures: [PlacedPicture] = []
    /// The pane's picture (placed over `imageRegion`), nil when it is half-block cells.
    public var picture: RGBImage? { pictures.first { $0.imageID == KittyGraphics.paneImageID }?.image }
    /// The pixels the pane's picture covers on screen; a sixel picture is enlarged to it while encoding.
    public var pictureShown: PixelSize? { pictures.first { $0.imageID == KittyGraphics.paneImageID }?.shown }

    /// The image pixel under the centre of a cell, or nil outside the picture.
    public func imagePixel(column: Int, row: Int) -> (x: Int, y: Int)? {
        guard let (fx, fy) = paneFraction(column: column, row: row) else { return nil }
        return (min(visible.x + visible.width - 1, visible.x + Int(fx * Double(visible.width))),
                min(visible.y + visible.height - 1, visible.y + Int(fy * Double(visible.height))))
    }

    /// The point under the centre of a cell as fractions of the whole image (where a wheel zooms).
    public func imageFraction(column: Int, row: Int) -> (x: Double, y: Double)? {
        guard let (fx, fy) = paneFraction(column: column, row: row), imageSize.width > 0, imageSize.height > 0 else { return nil }
        return ((Double(visible.x) + fx * Double(visible.width)) / Double(imageSize.width),
                (Double(visible.y) + fy * Double(visible.height)) / Double(imageSize.height))
    }

    private func paneFraction(column: Int, row: Int) -> (Double, Double)? {
        let r = imageRegion
        guard r.columns > 0, r.rows > 0, column >= r.column, column < r.column + r.columns, row >= r.row, row < r.row + r.rows
        else { return nil }
        return ((Double(column - r.column) + 0.5) / Double(r.columns), (Double(row - r.row) + 0.5) / Double(r.rows))
    }
}

public struct FrameComposer: Sendable {
    public var theme: Theme
    /// NO_COLOR: chrome in the terminal's default colours (the picture keeps its colours).
    public var plainChrome: Bool
    /// A terminal without colours: bars and the selection in reverse video, the picture as
    /// characters (MonochromePicture), no colours anywhere.
    public var monochrome: Bool
    /// A pixel protocol's cell size: the picture is made at pixel resolution instead of half-blocks
    /// (not while the help or details box covers it: that frame is drawn in cells).
    public var pixelCell: PixelSize?
    /// Whether the terminal scales pictures to the cells given (kitty, iTerm2) or not (sixel).
    public var terminalScales: Bool
    /// The largest picture the terminal draws (sixel, XTSMGRAPHICS).
    public var maximumPicture: PixelSize?
    /// The last picture, so composing the same state again does no pixel work.
    public let pictureCache = PictureCache<RGBImage>()
    /// The filmstrip's thumbnails at pixel resolution, likewise.
    public let filmstripCache = PictureCache<[RGBImage]>()
    public static let minimumColumns = 60, minimumRows = 16

    public init(theme: Theme, plainChrome: Bool = false, monochrome: Bool = false, graphics: GraphicsSetup = .halfBlocks) {
        self.theme = theme
        self.plainChrome = plainChrome
        self.monochrome = monochrome
        pixelCell = graphics.pixelCell
        terminalScales = graphics.protocolInUse != .sixel
        maximumPicture = graphics.protocolInUse == .sixel ? graphics.sixelMaximum : nil
    }

    func ui(_ role: String) -> CellColor {
        plainChrome || monochrome ? .terminalDefault : (theme.ui[role].map { .rgb($0) } ?? .terminalDefault)
    }

    /// `document` is nil while the first inference runs; `message` goes to the status line.
    /// `evaluated`: the images with results so far, for the per-class and confusion tables.
    public func compose(state: ExplorerState, document: ExplorerDocument?, columns: Int, rows: Int,
                        title: String, message: String, evaluated: EvaluatedImages? = nil) -> ComposedFrame {
        var grid = CellGrid(columns: columns, rows: rows)
        guard columns >= Self.minimumColumns, rows >= Self.minimumRows else {
            let text = "terminal too small: \(columns)×\(rows), need \(Self.minimumColumns)×\(Self.minimumRows)"
            grid.write(String(text.prefix(columns)), column: max(0, (columns - text.count) / 2), row: rows / 2)
            return ComposedFrame(grid: grid, imageRegion: (0, 0, 0, 0))
        }
        // The errors view puts the image's PQ and counts first, where the title is never cut off.
        let scores = state.view == .errors ? document?.errors.map { ErrorsPanel.summary($0.scores) + " · " } ?? "" : ""
        let order = state.worstFirst ? "n/p: worst PQ first · " : ""
        grid.write(pad(" maskscope · " + scores + order + title, columns), column: 0, row: 0, foreground: ui("background"), background: ui("accent"),
                   bold: true, reverse: monochrome)
        let panelWidth = min(44, max(30, columns / 3))
        let paneColumns = columns - panelWidth - 1
        // The queries view adds the per-layer filmstrip and the layer line under the picture; the
        // layer grid the layer line.
        let filmstripRows = state.view == .queries ? LayerFilmstrip.pictureRows + 1 : 0
        let layerLine = state.view == .queries || state.view == .layers ? 1 : 0
        let paneRows = rows - 2 - layerLine - filmstripRows
        var region = (column: 0, row: 1, columns: 0, rows: 0)

        guard let document else {
            grid.write(message, column: 2, row: rows / 2, foreground: ui("text"))
            grid.write(pad(" ? help · q quit", columns), column: 0, row: rows - 1, foreground: ui("dim"), reverse: monochrome)
            return ComposedFrame(grid: grid, imageRegion: (0, 0, 0, 0))
        }
        // Image pane, centred in its area.
        let pane = ImagePane(document: document, state: state, theme: theme)
        var pixelPicture: RGBImage?, pictureShown: PixelSize?
        // The layer grid fills the pane whatever the image's shape.
        let gridPane = state.view == .layers
        if let cell = pixelCell, !monochrome, !state.showHelp, !state.showDetails, state.table == nil {
            let shown = gridPane ? PixelRectangle(x: 0, y: 0, width: paneColumns * cell.width, height: paneRows * cell.height)
                : state.viewport.rectangle(width: document.image.width, height: document.image.height)
            let place = PicturePlacement.fit(visibleWidth: shown.width, visibleHeight: shown.height, paneColumns: paneColumns,
                                             paneRows: paneRows, cell: cell, terminalScales: terminalScales, maximum: maximumPicture)
            pixelPicture = pictureCache.picture(state: state, document: document.name, width: place.width, height: place.height) {
                pane.render(width: place.width, height: place.height)
            }
            pictureShown = PixelSize(width: place.shownWidth, height: place.shownHeight)
            region = ((paneColumns - place.columns) / 2, 1 + (paneRows - place.rows) / 2, place.columns, place.rows)
        } else {
            let fit = gridPane ? (columns: paneColumns, rows: paneRows)
                : HalfBlockBlitter.fit(width: document.image.width, height: document.image.height, maxColumns: paneColumns, maxRows: paneRows)
            let picture = pane.render(columns: fit.columns, rows: fit.rows)
            region = ((paneColumns - fit.columns) / 2, 1 + (paneRows - fit.rows) / 2, fit.columns, fit.rows)
            HalfBlockBlitter.draw(picture, into: &grid, column: region.column, row: region.row)
        }

        // List panel.
        let listColumn = columns - panelWidth
        let (header, items) = ListPanel.rows(for: state.view, document: document, theme: theme)
        grid.write(pad(header, panelWidth), column: listColumn, row: 1, foreground: ui("dim"), bold: true)
        let visible = rows - 3
        let first = max(0, min(state.selection - visible / 2, items.count - visible))
        for (offset, item) in items.dropFirst(first).prefix(visible).enumerated() {
            let index = first + offset, row = 2 + offset
            let selected = index == state.selection && state.view != .image
            var column = listColumn
            if let swatch = item.swatch {
                grid.write("  ", column: column, row: row, background: .rgb(swatch))
                column += 3
            }
            grid.write(pad(item.text, listColumn + panelWidth - column), column: column, row: row,
                       foreground: selected ? ui("background") : ui("text"), background: selected ? ui("selection") : .terminalDefault,
                       bold: selected, reverse: selected && monochrome)
        }

        // The filmstrip and decoder-layer line of the queries view; its thumbnails take the photo's path.
        var filmstrip: [PlacedPicture] = []
        if state.view == .queries, state.selection < document.queries.count {
            let pixels = pixelPicture == nil ? nil : pixelCell
            filmstrip = LayerFilmstrip.draw(document: document, query: document.queries[state.selection].query, shownLayer: state.shownLayer,
                                            into: &grid, column: 0, row: 1 + paneRows, columns: paneColumns,
                                            highlight: ui("selection"), dim: ui("dim"), pixelCell: pixels) { width, height, make in
                pixels == nil ? make() : filmstripCache.picture(state: state, document: document.name, width: width, height: height, render: make)
            }
            grid.write(pad(layerDescription(document: document, state: state), paneColumns), column: 0, row: rows - 2, foreground: ui("accent"))
        }
        if state.view == .layers {
            let order = LayerGrid.order(document)
            if state.selection < order.count {
                var at = state
                at.selection = order[state.selection]
                at.layer = state.gridLayer
                grid.write(pad(layerDescription(document: document, state: at) + " · Enter opens it in view 5", paneColumns),
                           column: 0, row: rows - 2, foreground: ui("accent"))
            }
        }
        // Status line.
        let counts = "\(items.count) \(state.view == .queries || state.view == .layers ? "queries" : "items")"
        let o = state.options
        let thresholds = String(format: "score %.2f mask %.2f overlap %.2f", o.threshold, o.maskThreshold, o.overlapThreshold)
        let status = " \(state.view.title) · \(counts) · \(thresholds) · opacity \(Int((state.opacity * 100).rounded()))% · boundaries \(state.showBoundaries ? "on" : "off")"
            + (state.viewport.zoom > 1 ? " · zoom \(Int(state.viewport.zoom))×" : "")
            + (state.imageCount > 1 ? " · image \(state.imageIndex + 1)/\(state.imageCount)" : "") + " · ? help · q quit"
            + (message.isEmpty ? "" : " · " + message)
        grid.write(pad(status, columns), column: 0, row: rows - 1, foreground: ui("text"),
                   background: plainChrome || monochrome ? .terminalDefault : .rgb(RGBColor(r: 0x30, g: 0x30, b: 0x30)), reverse: monochrome)

        if monochrome {
            MonochromePicture.convert(&grid)
            MonochromePicture.markSegments(&grid, region: region, pane: ImagePane(document: document, state: state, theme: theme))
        }
        if state.showHelp { drawBox(&grid, title: "keys", lines: KeyBindings.all.map { pad($0.keys, 24) + $0.help }) }
        else if let table = state.table {
            let lines = evaluated.map { table == .perClass ? $0.classLines() : $0.confusionLines(maximumColumns: columns - 8) }
                ?? ["no ground truth: pass --panoptic-json and --panoptic-dir"]
            drawBox(&grid, title: table == .perClass ? "per class (c)" : "semantic confusion (x)", lines: lines)
        }
        else if state.showDetails { drawBox(&grid, title: "details", lines: details(document: document, state: state)) }
        var pictures: [PlacedPicture] = []
        if let pixelPicture, let pictureShown {
            pictures.append(PlacedPicture(image: pixelPicture, column: region.column, row: region.row, columns: region.columns,
                                          rows: region.rows, shown: pictureShown))
            pictures += filmstrip
        }
        return ComposedFrame(grid: grid, imageRegion: region,
                             visible: state.viewport.rectangle(width: document.image.width, height: document.image.height),
                             imageSize: (document.image.width, document.image.height), pictures: pictures)
    }

    /// "layer 3/9 · cross-attention on 1/16 (24×24) · predicts disc 0.83 · …"
    func layerDescription(document: ExplorerDocument, state: ExplorerState) -> String {
        let query = document.queries[state.selection].query
        let layer = state.shownLayer
        let readouts = document.readouts[layer]
        let best = readouts.bestClass[query]
        var text = "q\(query) layer \(layer)/\(document.predictions.layers.count - 1)"
            + (layer == 0 ? " (learned queries)" : "")
            + " · predicts \(document.labelName(readouts.label(ofColumn: best))) \(String(format: "%.2f", readouts.bestScore[query]))"
        let traces = document.predictions.decoderLayers
        if layer < traces.count {
            let trace = traces[layer]
            let stride = [32, 16, 8][trace.level]
            text += " · next layer attends at 1/\(stride) (\(trace.width)×\(trace.height))"
            if trace.queriesAttendingEverywhere.contains(query) { text += ": mask hid every pixel → attends everywhere" }
        }
        if state.showCrossAttention { text += layer >= 1 ? " · showing cross-attention" : " · no cross-attention before layer 1" }
        return text
    }

    func details(document: ExplorerDocument, state: ExplorerState) -> [String] {
        var query: Int?
        var lines: [String] = []
        switch state.view {
        case .queries where state.selection < document.queries.count:
            query = document.queries[state.selection].query
        case .panoptic where state.selection < document.panoptic.segments.count:
            let segment = document.panoptic.segments[state.selection]
            query = segment.queries.first
            lines.append("segment \(segment.id): \(document.labelName(segment.label)) (\(segment.isThing ? "thing" : "stuff"))")
            lines.append("queries \(segment.queries.map { "q\($0)" }.joined(separator: ", ")) · area \(segment.area) px")
            lines.append("bbox x \(segment.boundingBox.x) y \(segment.boundingBox.y) w \(segment.boundingBox.width) h \(segment.boundingBox.height)")
        case .instance where state.selection < document.instances.count:
            let instance = document.instances[state.selection]
            query = instance.query
            lines.append("instance of \(document.labelName(instance.label)) · score \(String(format: "%.3f", instance.score)) = class \(String(format: "%.3f", instance.classScore)) × mask \(String(format: "%.3f", instance.maskScore))")
            if let box = instance.mask.boundingBox { lines.append("bbox x \(box.x) y \(box.y) w \(box.width) h \(box.height) · area \(instance.mask.area) px") }
        default:
            break
        }
        guard let query else { return lines.isEmpty ? ["nothing selected"] : lines }
        let readouts = document.readouts[document.readouts.count - 1]
        lines.insert("query \(query) · fate: \(ListPanel.fateText(document.panoptic.queryFates[query]))", at: 0)
        lines.append("top classes:")
        for top in readouts.topColumns(query: query, count: 5) {
            lines.append("  " + pad(document.labelName(readouts.label(ofColumn: top.column)), 20) + String(format: " %.3f", top.probability))
        }
        return lines
    }

    func drawBox(_ grid: inout CellGrid, title: String, lines: [String]) {
        let width = min(grid.columns - 4, max(title.count + 4, (lines.map(\.count).max() ?? 0) + 4))
        let height = min(grid.rows - 2, lines.count + 2)
        let left = (grid.columns - width) / 2, top = (grid.rows - height) / 2
        let border = ui("accent"), text = ui("text"), background = ui("background")
        let heading = String(("─ " + title + " ").prefix(width - 2))
        grid.write("┌" + heading + String(repeating: "─", count: max(0, width - 2 - heading.count)) + "┐", column: left, row: top, foreground: border, background: background)
        for i in 0..<(height - 2) {
            grid.write("│", column: left, row: top + 1 + i, foreground: border, background: background)
            grid.write(pad(" " + (i < lines.count ? lines[i] : ""), width - 2), column: left + 1, row: top + 1 + i, foreground: text, background: background)
            grid.write("│", column: left + width - 1, row: top + 1 + i, foreground: border, background: background)
        }
        grid.write("└" + String(repeating: "─", count: width - 2) + "┘", column: left, row: top + height - 1, foreground: border, background: background)
    }
}
