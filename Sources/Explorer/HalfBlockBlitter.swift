// Pictures as half-block cells: each cell shows two vertically stacked pixels, the upper one as the
// foreground of U+2580 "▀" and the lower one as the background (notcurses' and chafa's "half" mode).
// Terminal cells are about twice as tall as wide, so these pixels are close to square.

import Imaging

public enum HalfBlockBlitter {
    public static let upperHalf: Character = "\u{2580}"

    /// Draws `image` (already `columns × 2·rows` pixels) into `grid` at (column, row).
    /// Equal halves become a space with that background, which every terminal draws crisply.
    public static func draw(_ image: RGBImage, into grid: inout CellGrid, column: Int, row: Int) {
        let columns = image.width, rows = (image.height + 1) / 2
        for r in 0..<rows {
            for c in 0..<columns where grid.contains(column: column + c, row: row + r) {
                let upper = image[c, 2 * r]
                let lower = 2 * r + 1 < image.height ? image[c, 2 * r + 1] : upper
                grid[column + c, row + r] = upper == lower
                    ? Cell(glyph: " ", background: .rgb(upper))
                    : Cell(glyph: upperHalf, foreground: .rgb(upper), background: .rgb(lower))
            }
        }
    }

    /// The largest `columns × rows` cell area that shows a `width × height` picture with its aspect
    /// ratio inside `maxColumns × maxRows` (one pixel column per cell, two pixel rows per cell).
    public static func fit(width: Int, height: Int, maxColumns: Int, maxRows: Int) -> (columns: Int, rows: Int) {
        guard width > 0, height > 0, maxColumns > 0, maxRows > 0 else { return (0, 0) }
        let scale = min(Double(maxColumns) / Double(width), Double(2 * maxRows) / Double(height))
        let columns = max(1, min(maxColumns, Int((Double(width) * scale).rounded())))
        let pixelRows = max(1, min(2 * maxRows, Int((Double(height) * scale).rounded())))
        return (columns, (pixelRows + 1) / 2)
    }
}
