// View 8, every layer at once: a grid of queries (rows: kept ones first, then by score) × decoder
// predictions (columns: layer 0, the learned queries, … the final one) of mask thumbnails, each
// framed in the colour of the class that layer predicts. Drawn into the pane's picture, so a pixel
// protocol shows it at pixel resolution and half-blocks otherwise; the list names the classes.

import Imaging
import Segmentation
import TensorCore
import Themes

enum LayerGrid {
    /// Pixels between thumbnails.
    static let gap = 2

    /// Rows of the grid as indices into `document.queries`: kept and merged queries first.
    static func order(_ document: ExplorerDocument) -> [Int] {
        let indices = Array(document.queries.indices)
        func contributes(_ i: Int) -> Bool { [.kept, .merged].contains(document.queries[i].fate) }
        return indices.filter(contributes) + indices.filter { !contributes($0) }
    }

    /// Each query's best class (−1: no object) and its probability at every prediction: [layer][query].
    static func bestClasses(_ document: ExplorerDocument) -> [[(label: Int, probability: Float)]] {
        document.readouts.map { layer in
            (0..<layer.queryCount).map { q in (layer.label(ofColumn: layer.bestClass[q]), layer.bestScore[q]) }
        }
    }

    /// Enter: the queries view on the selected row's query, at the selected layer.
    static func jump(state: ExplorerState, document: ExplorerDocument) -> ExplorerEvent? {
        let rows = order(document)
        guard state.selection < rows.count else { return nil }
        return .showQuery(row: rows[state.selection], layer: state.gridLayer)
    }

    /// "q12 squ squ cir cir …": the class each layer predicts, three letters a column (· no object).
    static func listRows(_ document: ExplorerDocument) -> (header: String, rows: [ListRow]) {
        let best = bestClasses(document)
        let header = "q   " + (0..<best.count).map { pad("L\($0)", 4) }.joined()
        return (header, order(document).map { index in
            let query = document.queries[index].query
            let classes = best.map { layer -> String in
                let label = layer[query].label
                return pad(label < 0 ? "·" : String(document.labelName(label).prefix(3)), 4)
            }
            return ListRow(swatch: nil, text: pad("q\(query)", 4) + classes.joined())
        })
    }

    /// Thumbnail size and how many grid rows fit a `width × height` picture.
    static func layout(document: ExplorerDocument, width: Int, height: Int) -> (thumbWidth: Int, thumbHeight: Int, rows: Int) {
        let columns = max(1, document.predictions.layers.count)
        let thumbWidth = max(1, (width - gap * (columns - 1)) / columns)
        let thumbHeight = max(1, min(height, thumbWidth * document.image.height / max(1, document.image.width)))
        return (thumbWidth, thumbHeight, max(1, (height + gap) / (thumbHeight + gap)))
    }

    /// The first grid row shown, so the selection stays in view.
    static func firstRow(selection: Int, count: Int, visible: Int) -> Int {
        max(0, min(selection - visible / 2, count - visible))
    }

    /// The grid as a `width × height` picture: each thumbnail the photo under the query's mask
    /// probability (viridis), framed in its class colour; the selected one framed twice as thick.
    static func render(document: ExplorerDocument, state: ExplorerState, theme: Theme, width: Int, height: Int) -> RGBImage {
        let background = theme.ui["background"] ?? RGBColor(r: 0, g: 0, b: 0)
        var picture = RGBImage(width: max(0, width), height: max(0, height), fill: background)
        guard width > 0, height > 0 else { return picture }
        let (thumbWidth, thumbHeight, visibleRows) = layout(document: document, width: width, height: height)
        let rows = order(document)
        let best = bestClasses(document)
        let first = firstRow(selection: state.selection, count: rows.count, visible: visibleRows)
        let photo = boxDownscale(document.image, width: thumbWidth, height: thumbHeight)
        let selection = theme.ui["selection"] ?? theme.boundary
        let alpha = max(0.35, state.opacity)
        for (r, index) in rows.dropFirst(first).prefix(visibleRows).enumerated() {
            let query = document.queries[index].query
            for layer in 0..<document.predictions.layers.count {
                let left = layer * (thumbWidth + gap), top = r * (thumbHeight + gap)
                let logits = document.predictions.layers[layer].maskLogits   // [Q, H/4, W/4]
                let maskHeight = logits.shape[1], maskWidth = logits.shape[2], plane = maskHeight * maskWidth
                for y in 0..<thumbHeight where top + y < height {
                    let my = min(maskHeight - 1, y * maskHeight / thumbHeight)
                    for x in 0..<thumbWidth where left + x < width {
                        let mx = min(maskWidth - 1, x * maskWidth / thumbWidth)
                        let heat = viridis(sigmoid(logits.scalars[query * plane + my * maskWidth + mx]))
                        let under = photo[x, y]
                        picture[left + x, top + y] = RGBColor(r: mix(under.r, heat.r, alpha), g: mix(under.g, heat.g, alpha), b: mix(under.b, heat.b, alpha))
                    }
                }
                let label = best[layer][query].label
                let classColour = label < 0 ? RGBColor(r: 110, g: 110, b: 110) : theme.segments[label % theme.segments.count]
                let isSelected = state.selection == first + r && state.gridLayer == layer
                frame(&picture, left: left, top: top, width: thumbWidth, height: thumbHeight, colour: isSelected ? selection : classColour,
                      thickness: isSelected ? 2 : 1)
            }
        }
        return picture
    }

    static func frame(_ picture: inout RGBImage, left: Int, top: Int, width: Int, height: Int, colour: RGBColor, thickness: Int) {
        for y in top..<min(picture.height, top + height) {
            for x in left..<min(picture.width, left + width) {
                let edge = min(x - left, y - top, left + width - 1 - x, top + height - 1 - y)
                if edge < thickness { picture[x, y] = colour }
            }
        }
    }

    static func mix(_ a: UInt8, _ b: UInt8, _ alpha: Float) -> UInt8 {
        UInt8(max(0, min(255, (Float(a) * (1 - alpha) + Float(b) * alpha).rounded())))
    }
}
