// `e`: the current view at the image's original resolution as a PNG, named after the image, view
// and layer, never overwriting (a number is added), written atomically; beside it a JSON sidecar
// with the thresholds the results were post-processed with (the explorer changes them live).

import FileIO
import Foundation
import Imaging
import Segmentation
import Themes

public enum ExplorerExport {
    /// Writes the PNG (and, in the queries view, the filmstrip PNG) into `directory`; returns the paths.
    public static func export(document: ExplorerDocument, state: ExplorerState, theme: Theme, directory: String) throws -> [String] {
        var name = document.name + "." + state.view.title
        let picture = try write(fullResolution(document: document, state: state, theme: theme), directory: directory,
                                name: state.view == .queries && state.selection < document.queries.count
                                    ? name + ".q\(document.queries[state.selection].query).layer\(state.shownLayer)" : name)
        var paths = [picture, try writeSidecar(document: document, state: state, picture: picture)]
        if state.view == .queries, state.selection < document.queries.count {
            // Every layer side by side, 8 pixels apart: how the query's mask forms.
            let frames = (0..<state.layerCount).map { layer -> RGBImage in
                var at = state
                at.layer = layer
                return fullResolution(document: document, state: at, theme: theme)
            }
            let gap = 8, width = frames.count * document.image.width + (frames.count - 1) * gap, height = document.image.height
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for (index, frame) in frames.enumerated() {
                let left = index * (document.image.width + gap)
                for y in 0..<height {
                    for x in 0..<frame.width {
                        for c in 0..<3 { pixels[3 * (y * width + left + x) + c] = frame.pixels[3 * (y * frame.width + x) + c] }
                    }
                }
            }
            name += ".q\(document.queries[state.selection].query).filmstrip"
            paths.append(try write(try RGBImage(width: width, height: height, pixels: pixels), directory: directory, name: name))
        }
        return paths
    }

    /// `<picture>.json`: what the PNG shows and the thresholds behind it.
    static func writeSidecar(document: ExplorerDocument, state: ExplorerState, picture: String) throws -> String {
        let path = String(picture.dropLast(".png".count)) + ".json"
        var fields: [String: Any] = [
            "image": document.name, "view": state.view.title,
            "threshold": document.options.threshold, "mask_threshold": document.options.maskThreshold,
            "overlap_threshold": document.options.overlapThreshold, "mask_resize": document.options.maskResize.rawValue,
        ]
        if state.view == .queries, state.selection < document.queries.count {
            fields["query"] = document.queries[state.selection].query
            fields["layer"] = state.shownLayer
        }
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .prettyPrinted])
        try AtomicFile.write(Array(data) + [10], to: path, overwrite: .refuse)
        return path
    }

    /// The pane's renderer at the image's resolution (one pixel per image pixel).
    static func fullResolution(document: ExplorerDocument, state: ExplorerState, theme: Theme) -> RGBImage {
        let picture = ImagePane(document: document, state: state, theme: theme)
            .render(columns: document.image.width, rows: (document.image.height + 1) / 2)
        guard picture.height != document.image.height else { return picture }
        return (try? RGBImage(width: picture.width, height: document.image.height,
                              pixels: Array(picture.pixels.prefix(picture.width * document.image.height * 3)))) ?? picture
    }

    /// `<name>.png`, or `<name>-1.png`, `<name>-2.png`, … when taken; never overwrites.
    static func write(_ picture: RGBImage, directory: String, name: String) throws -> String {
        for attempt in 0..<1000 {
            let path = directory + "/" + name + (attempt == 0 ? "" : "-\(attempt)") + ".png"
            do {
                try writePNG(picture, to: path, overwrite: .refuse)
                return path
            } catch FileError.wouldOverwrite {
                continue
            }
        }
        throw FileError.wouldOverwrite(path: directory + "/" + name + ".png")
    }
}

extension ExplorerDocument {
    /// How many rows the list has in `view`.
    public func listCount(for view: ExplorerView) -> Int {
        switch view {
        case .image: return 0
        case .panoptic: return panoptic.segments.count
        case .semantic: return semanticClasses.count
        case .instance: return instances.count
        case .queries, .layers: return queries.count
        case .truth: return errors?.truthSegments.count ?? 0
        case .errors: return errors?.rows.count ?? 0
        }
    }

    /// The list row of the segment under image pixel (x, y) in `view`, if any.
    public func row(atX x: Int, y: Int, view: ExplorerView) -> Int? {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return nil }
        let i = y * image.width + x
        switch view {
        case .panoptic:
            let id = panoptic.map.values[i]
            return panoptic.segments.firstIndex { $0.id == id }
        case .semantic:
            let label = Int(semantic.values[i])
            return semanticClasses.firstIndex { $0.label == label }
        case .instance:
            return instances.firstIndex { $0.mask.bits[i] != 0 }
        case .queries:
            // The query whose final mask is most confident here.
            let logits = predictions.final.maskLogits
            let h = logits.shape[1], w = logits.shape[2]
            let mx = min(w - 1, x * w / image.width), my = min(h - 1, y * h / image.height)
            var best: Int?, bestValue = -Float.infinity
            for (row, q) in queries.enumerated() {
                let v = logits.scalars[(q.query * h + my) * w + mx]
                if v > bestValue { bestValue = v; best = row }
            }
            return best
        case .truth:
            guard let row = errors?.truthRows.values[i], row >= 0 else { return nil }
            return Int(row)
        case .errors:
            // A missed segment is what a click means where one lies; else the prediction there.
            guard let errors else { return nil }
            let row = errors.missedRows.values[i] >= 0 ? errors.missedRows.values[i] : errors.predictionRows.values[i]
            return row >= 0 ? Int(row) : nil
        case .image, .layers:
            return nil
        }
    }
}
