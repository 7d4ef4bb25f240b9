// The picture the image pane shows for a state: the visible part of the photo (zoom and pan)
// downscaled by area averaging, tinted by the current view's segments, the selection highlighted,
// and for the queries view the selected query's mask at the chosen decoder layer with the region
// the next layer's cross-attention is limited to.
//
// Tints are blended at a working resolution of up to 4×4 samples per pane pixel (label maps
// sampled by nearest, never interpolated) and then area-averaged down, so a half-cell that a mask
// covers partly gets that share of its colour. Boundaries are drawn afterwards at pane resolution,
// where a one-pixel line is what a person can see.

import Imaging
import Segmentation
import TensorCore
import Themes

struct ImagePane {
    let document: ExplorerDocument
    let state: ExplorerState
    let theme: Theme

    /// Samples per pane pixel and axis for the tint: coverage is resolved in steps of 1/16.
    static let coverageSamples = 4

    /// The pane's picture at `columns × 2·rows` pixels (half-block cells).
    func render(columns: Int, rows: Int) -> RGBImage { render(width: columns, height: 2 * rows) }

    /// The pane's picture at `width × height` pixels (a pixel protocol's picture).
    func render(width: Int, height: Int) -> RGBImage {
        let width = max(0, width), height = max(0, height)
        if state.view == .layers { return LayerGrid.render(document: document, state: state, theme: theme, width: width, height: height) }
        let visible = state.viewport.rectangle(width: document.image.width, height: document.image.height)
        let photo = document.image.cropped(x: visible.x, y: visible.y, width: visible.width, height: visible.height)
        guard state.view != .image, width > 0, height > 0 else { return boxDownscale(photo, width: width, height: height) }

        let workWidth = min(visible.width, Self.coverageSamples * width)
        let workHeight = min(visible.height, Self.coverageSamples * height)
        var work = boxDownscale(photo, width: workWidth, height: workHeight)
        if state.view == .queries {
            tintQuery(&work, visible: visible)
            var picture = boxDownscale(work, width: width, height: height)
            outlineAttentionRegion(&picture, visible: visible)
            return picture
        }
        let map = labelMap()
        let tints = segmentTints()
        tint(&work, map: map, visible: visible, tints: tints)
        var picture = boxDownscale(work, width: width, height: height)
        drawBoundaries(&picture, map: map, visible: visible)
        if state.view == .errors { hatchMissed(&picture, visible: visible) }
        return picture
    }

    // MARK: segments

    /// The tint per map value + 1 (so −1, "nothing", is entry 0); nil: left untinted.
    func segmentTints() -> [OverlayTint?] {
        let maximum: Int
        switch state.view {
        case .panoptic: maximum = Int(document.panoptic.segments.map(\.id).max() ?? 0)
        case .semantic: maximum = document.labels.count - 1
        case .instance: maximum = document.instances.count - 1
        case .truth: maximum = (document.errors?.truthSegments.count ?? 0) - 1
        case .errors: maximum = (document.errors?.rows.count ?? 0) - 1
        default: maximum = -1
        }
        let selected = selectedValue()
        var tints = [OverlayTint?](repeating: nil, count: max(0, maximum) + 2)
        for value in -1...max(-1, maximum) {
            guard let color = colour(of: Int32(value), palette: theme.segments) else { continue }
            let isSelected = selected == Int32(value)
            if state.onlySelected && selected != nil && !isSelected { continue }
            let opacity = selected == nil || isSelected ? state.opacity : state.opacity * 0.35
            tints[value + 1] = OverlayTint(color: color, opacity: opacity)
        }
        return tints
    }

    func tint(_ work: inout RGBImage, map: LabelMap, visible: PixelRectangle, tints: [OverlayTint?]) {
        // Label maps have the image's size, so the rectangle's own pixels index them.
        let sourceColumns = visible.columns(work.width), sourceRows = visible.rows(work.height)
        let width = work.width
        work.pixels.withUnsafeMutableBufferPointer { pixels in
            map.values.withUnsafeBufferPointer { values in
                for y in 0..<work.height {
                    let row = sourceRows[y] * map.width
                    for x in 0..<width {
                        let entry = Int(values[row + sourceColumns[x]]) + 1
                        guard entry >= 0, entry < tints.count else { continue }
                        guard let t = tints[entry], t.opacity > 0 else { continue }
                        t.blend(pixels, at: (y * width + x) * 3)
                    }
                }
            }
        }
    }

    func drawBoundaries(_ picture: inout RGBImage, map: LabelMap, visible: PixelRectangle) {
        let selected = selectedValue()
        guard state.showBoundaries || selected != nil else { return }
        let width = picture.width, height = picture.height
        let sourceColumns = visible.columns(width), sourceRows = visible.rows(height)
        var values = [Int32](repeating: -1, count: width * height)
        for y in 0..<height { for x in 0..<width { values[y * width + x] = map.values[sourceRows[y] * map.width + sourceColumns[x]] } }
        let palette = theme.segments
        let selectionColor = theme.ui["selection"] ?? theme.boundary
        let line = OverlayTint(color: theme.boundary, opacity: 0.8)
        picture.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    let v = values[y * width + x]
                    let right = x + 1 < width ? values[y * width + x + 1] : v
                    let below = y + 1 < height ? values[(y + 1) * width + x] : v
                    guard right != v || below != v else { continue }
                    let i = (y * width + x) * 3
                    if selected != nil && (v == selected || right == selected || below == selected) {
                        pixels[i] = selectionColor.r; pixels[i + 1] = selectionColor.g; pixels[i + 2] = selectionColor.b
                    } else if state.showBoundaries && !state.onlySelected
                                && (colour(of: v, palette: palette) != nil || colour(of: right, palette: palette) != nil) {
                        line.blend(pixels, at: i)
                    }
                }
            }
        }
    }

    /// The map the current view colours: panoptic segment ids, semantic classes, or instance indices.
    func labelMap() -> LabelMap {
        switch state.view {
        case .semantic: return document.semantic
        case .instance: return document.instanceMap
        case .truth: return document.errors?.truthRows ?? LabelMap(width: document.image.width, height: document.image.height, filledWith: -1)
        case .errors:
            return document.errors?.predictionRows ?? LabelMap(width: document.image.width, height: document.image.height, filledWith: -1)
        default: return document.panoptic.map
        }
    }

    func colour(of value: Int32, palette: [RGBColor]) -> RGBColor? {
        switch state.view {
        case .panoptic: return value > 0 ? palette[Int(value - 1) % palette.count] : nil
        case .semantic: return value >= 0 ? palette[Int(value) % palette.count] : nil
        case .instance: return value >= 0 ? palette[Int(value) % palette.count] : nil
        case .truth: return value >= 0 ? palette[Int(value) % palette.count] : nil
        case .errors:
            guard let rows = document.errors?.rows, value >= 0, Int(value) < rows.count else { return nil }
            return ErrorsPanel.colour(of: rows[Int(value)].segment.outcome)
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
        case .truth: return row < (document.errors?.truthSegments.count ?? 0) ? Int32(row) : nil
        case .errors: return row < (document.errors?.rows.count ?? 0) ? Int32(row) : nil
        default: return nil
        }
    }

    // MARK: queries

    /// Queries view: the selected query's mask probability (or, toggled, its cross-attention) at the
    /// shown layer as a heatmap.
    func tintQuery(_ work: inout RGBImage, visible: PixelRectangle) {
        guard state.selection < document.queries.count else { return }
        let query = document.queries[state.selection].query
        let layer = state.shownLayer
        let traces = document.predictions.decoderLayers
        // Heat source: layer `layer`'s mask probability, or layer `layer`'s cross-attention.
        let heat: [Float], heatWidth: Int, heatHeight: Int
        if state.showCrossAttention, layer >= 1, let weights = traces[layer - 1].crossAttention {
            let plane = weights.shape[1] * weights.shape[2]
            let row = Array(weights.scalars[(query * plane)..<((query + 1) * plane)])
            let top = max(row.max() ?? 1, 1e-12)
            (heat, heatWidth, heatHeight) = (row.map { $0 / top }, weights.shape[2], weights.shape[1])
        } else {
            let logits = document.predictions.layers[layer].maskLogits
            let plane = logits.shape[1] * logits.shape[2]
            (heat, heatWidth, heatHeight) = (logits.scalars[(query * plane)..<((query + 1) * plane)].map { sigmoid($0) },
                                             logits.shape[2], logits.shape[1])
        }
        // 65 steps of viridis and of the opacity ramp, looked up instead of computed per pixel.
        let steps = 64
        let ramp = (0...steps).map { step -> OverlayTint in
            let p = Float(step) / Float(steps)
            return OverlayTint(color: viridis(p), opacity: state.opacity * (0.25 + 0.75 * p))
        }
        let grid = visible.scaled(toWidth: heatWidth, height: heatHeight, imageWidth: document.image.width,
                                  imageHeight: document.image.height, samplesX: work.width, samplesY: work.height)
        let width = work.width
        work.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<work.height {
                for x in 0..<width {
                    let p = heat[grid.rows[y] * heatWidth + grid.columns[x]]
                    let step = p.isNaN ? 0 : Int((max(0, min(1, p)) * Float(steps)).rounded())
                    ramp[step].blend(pixels, at: (y * width + x) * 3)
                }
            }
        }
    }

    /// The region layer `layer + 1`'s cross-attention was limited to (built from this layer's mask),
    /// as an outline.
    func outlineAttentionRegion(_ picture: inout RGBImage, visible: PixelRectangle) {
        guard state.selection < document.queries.count else { return }
        let query = document.queries[state.selection].query
        let traces = document.predictions.decoderLayers
        guard state.shownLayer < traces.count else { return }
        let trace = traces[state.shownLayer]
        let plane = trace.width * trace.height
        let width = picture.width, height = picture.height
        let grid = visible.scaled(toWidth: trace.width, height: trace.height, imageWidth: document.image.width,
                                  imageHeight: document.image.height, samplesX: width, samplesY: height)
        var open = [Bool](repeating: false, count: width * height)
        for y in 0..<height {
            for x in 0..<width { open[y * width + x] = trace.attentionMask[query * plane + grid.rows[y] * trace.width + grid.columns[x]] == 0 }
        }
        let outline = theme.ui["accent"] ?? theme.boundary
        for y in 0..<height {
            for x in 0..<width {
                let here = open[y * width + x]
                if (x + 1 < width && open[y * width + x + 1] != here) || (y + 1 < height && open[(y + 1) * width + x] != here) {
                    picture[x, y] = outline
                }
            }
        }
    }
}

extension PixelRectangle {
    /// For samples across this rectangle of an `imageWidth × imageHeight` image, the cells of a
    /// `gridWidth × gridHeight` grid spread over the whole image (a mask at 1/4 or 1/32 resolution).
    func scaled(toWidth gridWidth: Int, height gridHeight: Int, imageWidth: Int, imageHeight: Int,
                samplesX: Int, samplesY: Int) -> (columns: [Int], rows: [Int]) {
        // Sample centre in image coordinates, then the grid cell under it.
        let columns = (0..<samplesX).map { i -> Int in
            let position = Double(x) + (Double(i) + 0.5) * Double(width) / Double(samplesX)
            return min(gridWidth - 1, max(0, Int(position * Double(gridWidth) / Double(imageWidth))))
        }
        let rows = (0..<samplesY).map { i -> Int in
            let position = Double(y) + (Double(i) + 0.5) * Double(height) / Double(samplesY)
            return min(gridHeight - 1, max(0, Int(position * Double(gridHeight) / Double(imageHeight))))
        }
        return (columns, rows)
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
