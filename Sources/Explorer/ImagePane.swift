// The picture the image pane shows for a state: the photo downscaled by area averaging, tinted by
// the current view's segments (label maps sampled by nearest, never interpolated), the selection
// highlighted, and for the queries view the selected query's mask at the chosen decoder layer with
// the region the next layer's cross-attention is limited to.

import Imaging
import Segmentation
import TensorCore
import Themes

struct ImagePane {
    let document: ExplorerDocument
    let state: ExplorerState
    let theme: Theme

    /// The pane's picture at `columns × 2·rows` pixels.
    func render(columns: Int, rows: Int) -> RGBImage {
        let width = columns, height = 2 * rows
        let base = boxDownscale(document.image, width: width, height: height)
        guard state.view != .image, width > 0, height > 0 else { return base }
        var pixels = base.pixels
        let sourceX = (0..<width).map { min(document.image.width - 1, Int((Double($0) + 0.5) * Double(document.image.width) / Double(width))) }
        let sourceY = (0..<height).map { min(document.image.height - 1, Int((Double($0) + 0.5) * Double(document.image.height) / Double(height))) }
        func blend(_ i: Int, _ color: RGBColor, _ alpha: Float) {
            for (c, v) in [color.r, color.g, color.b].enumerated() {
                pixels[3 * i + c] = UInt8(max(0, min(255, (Float(pixels[3 * i + c]) * (1 - alpha) + Float(v) * alpha).rounded())))
            }
        }
        func set(_ i: Int, _ color: RGBColor) { pixels[3 * i] = color.r; pixels[3 * i + 1] = color.g; pixels[3 * i + 2] = color.b }

        if state.view == .queries {
            drawQuery(width: width, height: height, blend: blend, set: set)
            return (try? RGBImage(width: width, height: height, pixels: pixels)) ?? base
        }
        // Segment value per pane pixel, its colour, and which value is selected.
        let map = labelMap()
        let selected = selectedValue()
        var values = [Int32](repeating: -1, count: width * height)
        for y in 0..<height { for x in 0..<width { values[y * width + x] = map.values[sourceY[y] * map.width + sourceX[x]] } }
        let palette = theme.segments
        for i in values.indices {
            let v = values[i]
            guard let color = colour(of: v, palette: palette) else { continue }
            let isSelected = selected == v
            if state.onlySelected && selected != nil && !isSelected { continue }
            blend(i, color, selected == nil || isSelected ? state.opacity : state.opacity * 0.35)
        }
        if state.showBoundaries || selected != nil {
            for y in 0..<height {
                for x in 0..<width {
                    let v = values[y * width + x]
                    let right = x + 1 < width ? values[y * width + x + 1] : v
                    let below = y + 1 < height ? values[(y + 1) * width + x] : v
                    guard right != v || below != v else { continue }
                    let touchesSelection = selected != nil && (v == selected || right == selected || below == selected)
                    if touchesSelection { set(y * width + x, theme.ui["selection"] ?? theme.boundary) }
                    else if state.showBoundaries && !state.onlySelected && (colour(of: v, palette: palette) != nil || colour(of: right, palette: palette) != nil) {
                        blend(y * width + x, theme.boundary, 0.8)
                    }
                }
            }
        }
        return (try? RGBImage(width: width, height: height, pixels: pixels)) ?? base
    }

    /// The map the current view colours: panoptic segment ids, semantic classes, or instance indices.
    func labelMap() -> LabelMap {
        switch state.view {
        case .semantic: return document.semantic
        case .instance: return document.instanceMap
        default: return document.panoptic.map
        }
    }

    func colour(of value: Int32, palette: [RGBColor]) -> RGBColor? {
        switch state.view {
        case .panoptic: return value > 0 ? palette[Int(value - 1) % palette.count] : nil
        case .semantic: return value >= 0 ? palette[Int(value) % palette.count] : nil
        case .instance: return value >= 0 ? palette[Int(value) % palette.count] : nil
        default: return nil
        }
    }

    /// The map value of the selected list row.
    func selectedValue() -> Int32? {
        let row = state.selection
        switch state.view {
        case .panoptic: return row < document.panoptic.segments.count ? document.panoptic.segments[row].id : nil
        case .semantic: return row < document.semanticClasses.count ? Int32(document.semanticClasses[row].label) : nil
        case .instance: return row < document.instances.count ? Int32(row) : nil
        default: return nil
        }
    }

    /// Queries view: the selected query's mask probability (or cross-attention) at the shown layer as a
    /// heatmap, and the outline of the region the next layer may attend to.
    func drawQuery(width: Int, height: Int,
                   blend: (Int, RGBColor, Float) -> Void, set: (Int, RGBColor) -> Void) {
        guard state.selection < document.queries.count else { return }
        let query = document.queries[state.selection].query
        let layer = state.shownLayer
        let traces = document.predictions.decoderLayers
        // Heat source: layer `layer`'s mask probability, or (toggle) layer `layer`'s cross-attention.
        var heat: (values: [Float], width: Int, height: Int)
        if state.showCrossAttention, layer >= 1, let weights = traces[layer - 1].crossAttention {
            let plane = weights.shape[1] * weights.shape[2]
            let row = Array(weights.scalars[(query * plane)..<((query + 1) * plane)])
            let top = max(row.max() ?? 1, 1e-12)
            heat = (row.map { $0 / top }, weights.shape[2], weights.shape[1])
        } else {
            let logits = document.predictions.layers[layer].maskLogits
            let plane = logits.shape[1] * logits.shape[2]
            heat = (logits.scalars[(query * plane)..<((query + 1) * plane)].map { sigmoid($0) }, logits.shape[2], logits.shape[1])
        }
        for y in 0..<height {
            for x in 0..<width {
                let hx = min(heat.width - 1, Int((Double(x) + 0.5) * Double(heat.width) / Double(width)))
                let hy = min(heat.height - 1, Int((Double(y) + 0.5) * Double(heat.height) / Double(height)))
                let p = heat.values[hy * heat.width + hx]
                blend(y * width + x, viridis(p), state.opacity * (0.25 + 0.75 * p))
            }
        }
        // The attention region layer `layer + 1` used (built from this layer's mask), as an outline.
        guard layer < traces.count else { return }
        let trace = traces[layer]
        let plane = trace.width * trace.height
        let open = (0..<plane).map { trace.attentionMask[query * plane + $0] == 0 }
        func isOpen(_ x: Int, _ y: Int) -> Bool {
            let tx = min(trace.width - 1, Int((Double(x) + 0.5) * Double(trace.width) / Double(width)))
            let ty = min(trace.height - 1, Int((Double(y) + 0.5) * Double(trace.height) / Double(height)))
            return open[ty * trace.width + tx]
        }
        let outline = theme.ui["accent"] ?? theme.boundary
        for y in 0..<height {
            for x in 0..<width {
                let here = isOpen(x, y)
                if (x + 1 < width && isOpen(x + 1, y) != here) || (y + 1 < height && isOpen(x, y + 1) != here) { set(y * width + x, outline) }
            }
        }
    }
}

/// A five-stop approximation of matplotlib's viridis, for probabilities 0…1.
func viridis(_ value: Float) -> RGBColor {
    let stops: [(Float, Float, Float)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    let t = max(0, min(1, value.isNaN ? 0 : value)) * Float(stops.count - 1)
    let i = min(stops.count - 2, Int(t)), f = t - Float(i)
    let a = stops[i], b = stops[i + 1]
    return RGBColor(r: UInt8(a.0 + (b.0 - a.0) * f), g: UInt8(a.1 + (b.1 - a.1) * f), b: UInt8(a.2 + (b.2 - a.2) * f))
}
