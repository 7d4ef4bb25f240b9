// The picture on a terminal without colours (vt100, xterm-mono): each cell becomes a character of
// a density ramp by its brightness, the selected segment is shown in reverse video and, with
// boundaries on, cells where the segment changes are underlined. The layer filmstrip's heatmaps
// read well this way too: viridis grows brighter with probability.

import Imaging
import Segmentation

enum MonochromePicture {
    /// Dark to bright, for the usual light text on a dark background.
    static let ramp: [Character] = Array(" .:-=+*#%@")

    static func glyph(brightness color: RGBColor) -> Character {
        let luminance = (2126 * Int(color.r) + 7152 * Int(color.g) + 722 * Int(color.b)) / 10_000
        return ramp[min(ramp.count - 1, luminance * ramp.count / 256)]
    }

    /// Every coloured cell as a character, and no colours left in the grid. Picture cells (a half
    /// block, or a blank with a colour behind it) get the ramp character of their mean colour.
    static func convert(_ grid: inout CellGrid) {
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                var cell = grid[column, row]
                if case .rgb(let lower) = cell.background {
                    var mean = lower
                    if cell.glyph == HalfBlockBlitter.upperHalf, case .rgb(let upper) = cell.foreground {
                        mean = RGBColor(r: UInt8((Int(upper.r) + Int(lower.r)) / 2), g: UInt8((Int(upper.g) + Int(lower.g)) / 2),
                                        b: UInt8((Int(upper.b) + Int(lower.b)) / 2))
                    }
                    if cell.glyph == " " || cell.glyph == HalfBlockBlitter.upperHalf { cell.glyph = glyph(brightness: mean) }
                }
                cell.foreground = .terminalDefault
                cell.background = .terminalDefault
                grid[column, row] = cell
            }
        }
    }

    /// Reverse video on the selected segment's cells, underline where the segment changes to the
    /// right or below (boundaries on). Segments are sampled at each cell's upper half.
    static func markSegments(_ grid: inout CellGrid, region: (column: Int, row: Int, columns: Int, rows: Int), pane: ImagePane) {
        let state = pane.state
        guard region.columns > 0, region.rows > 0, state.view != .image, state.view != .queries else { return }
        let map = pane.labelMap()
        let visible = state.viewport.rectangle(width: pane.document.image.width, height: pane.document.image.height)
        guard map.width == pane.document.image.width, map.values.count == map.width * pane.document.image.height else { return }
        let sourceColumns = visible.columns(region.columns), sourceRows = visible.rows(2 * region.rows)
        func value(_ c: Int, _ r: Int) -> Int32 { map.values[sourceRows[2 * r] * map.width + sourceColumns[c]] }
        let selected = pane.selectedValue()
        for r in 0..<region.rows {
            for c in 0..<region.columns where grid.contains(column: region.column + c, row: region.row + r) {
                let v = value(c, r)
                var cell = grid[region.column + c, region.row + r]
                cell.reverse = selected != nil && v == selected
                let right = c + 1 < region.columns ? value(c + 1, r) : v
                let below = r + 1 < region.rows ? value(c, r + 1) : v
                cell.underline = state.showBoundaries && (right != v || below != v)
                grid[region.column + c, region.row + r] = cell
            }
        }
    }
}
