// The list beside the image: segments (panoptic), classes (semantic), instances, or every query
// with what post-processing did to it. One line per row, swatch first.

import Foundation
import Imaging
import Segmentation
import Themes

struct ListRow {
    var swatch: RGBColor?
    var text: String
}

enum ListPanel {
    static func rows(for view: ExplorerView, document: ExplorerDocument, theme: Theme) -> (header: String, rows: [ListRow]) {
        let palette = theme.segments
        let pixels = Float(document.image.width * document.image.height)
        func name(_ label: Int, _ width: Int) -> String { pad(document.labelName(label), width) }
        switch view {
        case .image:
            return ("image", [ListRow(swatch: nil, text: "\(document.image.width)×\(document.image.height) px")])
        case .panoptic:
            return ("segment         score   area  kind", document.panoptic.segments.map { s in
                ListRow(swatch: palette[Int(s.id - 1) % palette.count],
                        text: name(s.label, 14) + String(format: " %5.2f %5.1f%%  ", s.score, 100 * Float(s.area) / pixels) + (s.isThing ? "thing" : "stuff"))
            })
        case .semantic:
            return ("class                  area", document.semanticClasses.map { c in
                ListRow(swatch: palette[c.label % palette.count], text: name(c.label, 20) + String(format: " %5.1f%%", 100 * Float(c.pixels) / pixels))
            })
        case .instance:
            return ("instance        score   area", document.instances.enumerated().map { index, instance in
                ListRow(swatch: palette[index % palette.count],
                        text: name(instance.label, 14) + String(format: " %5.2f %5.1f%%", instance.score, 100 * Float(instance.mask.area) / pixels))
            })
        case .truth: return ErrorsPanel.truthRows(document, palette: palette)
        case .errors: return ErrorsPanel.errorRows(document)
        case .layers: return LayerGrid.listRows(document)
        case .queries:
            return ("query label        score  area fate", document.queries.map { q in
                ListRow(swatch: nil, text: pad("q\(q.query)", 5) + " " + name(q.label, 12) + String(format: " %4.2f %4.0f%% ", q.score, 100 * q.area) + fateText(q.fate))
            })
        }
    }

    static func fateText(_ fate: QueryFate) -> String {
        switch fate {
        case .kept: return "kept"
        case .merged: return "merged"
        case .noObject: return "no-object"
        case .belowThreshold: return "low score"
        case .removedByOverlap: return "overlap"
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
}
