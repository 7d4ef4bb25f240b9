// The selected query's mask probability at every decoder layer, side by side: how the mask
// sharpens as the queries attend to it, layer by layer. With a pixel protocol the thumbnails are
// pictures at the terminal's pixel resolution, like the pane's photo (one per layer, each with its
// own kitty id); the layer labels stay text.

import Imaging
import TensorCore

enum LayerFilmstrip {
    static let pictureRows = 3
    /// kitty ids of the thumbnails: this one for layer 0, then one more per layer (the pane's is 1).
    static let firstImageID = KittyGraphics.paneImageID + 1

    /// The thumbnails' columns: at most 16 cells wide, one cell apart, as many as fit in `columns`.
    static func slots(layers: Int, columns: Int) -> [(left: Int, width: Int)] {
        let gap = 1
        let width = max(3, min(16, (columns - gap * (layers - 1)) / max(1, layers)))
        return (0..<layers).map { (left: $0 * (width + gap), width: width) }.filter { $0.left + width <= columns }
    }

    /// Draws the strip at (column, row): `pictureRows` rows of thumbnails and a row of layer numbers,
    /// the shown layer in `highlight`. Half-block thumbnails go into `grid`; with `pixelCell` they are
    /// returned as pictures (rendered by `render`, which a cache may answer) and their cells stay blank.
    static func draw(document: ExplorerDocument, query: Int, shownLayer: Int, into grid: inout CellGrid,
                     column: Int, row: Int, columns: Int, highlight: CellColor, dim: CellColor, pixelCell: PixelSize? = nil,
                     render: (_ width: Int, _ height: Int, _ make: () -> [RGBImage]) -> [RGBImage] = { $2() }) -> [PlacedPicture] {
        let layers = document.predictions.layers
        let slots = slots(layers: layers.count, columns: columns)
        guard let width = slots.first?.width else { return [] }
        let pixelWidth = pixelCell.map { width * $0.width } ?? width
        let pixelHeight = pixelCell.map { pictureRows * $0.height } ?? 2 * pictureRows
        let thumbnails = render(pixelWidth, pixelHeight) {
            slots.indices.map { thumbnail(layers[$0].maskLogits, query: query, width: pixelWidth, height: pixelHeight) }
        }
        var pictures: [PlacedPicture] = []
        for (index, slot) in slots.enumerated() where index < thumbnails.count {
            let left = column + slot.left
            if pixelCell != nil {
                pictures.append(PlacedPicture(image: thumbnails[index], column: left, row: row, columns: width, rows: pictureRows,
                                              imageID: firstImageID + index))
            } else {
                HalfBlockBlitter.draw(thumbnails[index], into: &grid, column: left, row: row)
            }
            let label = index == 0 ? "L0 query" : "L\(index)"
            grid.write(String(label.prefix(width)), column: left, row: row + pictureRows,
                       foreground: index == shownLayer ? highlight : dim, bold: index == shownLayer)
        }
        return pictures
    }

    /// One layer's mask probability for `query` in viridis at `width × height` (nearest sampling of
    /// the H/4 × W/4 logits).
    static func thumbnail(_ logits: Tensor, query: Int, width: Int, height: Int) -> RGBImage {
        let h = logits.shape[1], w = logits.shape[2], plane = h * w
        var image = RGBImage(width: width, height: height)
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<height {
                let sy = min(h - 1, y * h / height)
                for x in 0..<width {
                    let sx = min(w - 1, x * w / width)
                    let color = viridis(sigmoid(logits.scalars[query * plane + sy * w + sx]))
                    pixels[3 * (y * width + x)] = color.r
                    pixels[3 * (y * width + x) + 1] = color.g
                    pixels[3 * (y * width + x) + 2] = color.b
                }
            }
        }
        return image
    }
}
