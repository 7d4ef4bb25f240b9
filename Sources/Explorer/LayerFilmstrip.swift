// The selected query's mask probability at every decoder layer, side by side: how the mask
// sharpens as the queries attend to it, layer by layer.

import Imaging
import TensorCore

enum LayerFilmstrip {
    static let pictureRows = 3

    /// Draws the strip into `grid` at (column, row): `pictureRows` rows of thumbnails and a row of
    /// layer numbers, the shown layer in `highlight`. Returns the rows used.
    @discardableResult
    static func draw(document: ExplorerDocument, query: Int, shownLayer: Int, into grid: inout CellGrid,
                     column: Int, row: Int, columns: Int, highlight: CellColor, dim: CellColor) -> Int {
        let layers = document.predictions.layers
        let gap = 1
        let width = max(3, min(16, (columns - gap * (layers.count - 1)) / max(1, layers.count)))
        let height = 2 * pictureRows
        for (index, layer) in layers.enumerated() {
            let left = column + index * (width + gap)
            guard left + width <= column + columns else { break }
            let logits = layer.maskLogits
            let h = logits.shape[1], w = logits.shape[2], plane = h * w
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let sx = min(w - 1, x * w / width), sy = min(h - 1, y * h / height)
                    let color = viridis(sigmoid(logits.scalars[query * plane + sy * w + sx]))
                    pixels[3 * (y * width + x)] = color.r
                    pixels[3 * (y * width + x) + 1] = color.g
                    pixels[3 * (y * width + x) + 2] = color.b
                }
            }
            if let thumbnail = try? RGBImage(width: width, height: height, pixels: pixels) {
                HalfBlockBlitter.draw(thumbnail, into: &grid, column: left, row: row)
            }
            let label = index == 0 ? "L0 query" : "L\(index)"
            grid.write(String(label.prefix(width)), column: left, row: row + pictureRows,
                       foreground: index == shownLayer ? highlight : dim, bold: index == shownLayer)
        }
        return pictureRows + 1
    }
}
