// The lists and header of the ground-truth view (6) and the errors view (7), and where Enter on an
// error leads. The outcome colours are fixed, not themed: TP/FP/FN must read the same in every theme.

import Evaluation
import Foundation
import Imaging
import Segmentation
import Themes

enum ErrorsPanel {
    static let truePositive = RGBColor(r: 60, g: 200, b: 90)
    static let falsePositive = RGBColor(r: 235, g: 55, b: 55)
    static let falseNegative = RGBColor(r: 255, g: 165, b: 0)
    static let ignored = RGBColor(r: 150, g: 150, b: 150)

    static func colour(of outcome: SegmentOutcome) -> RGBColor {
        switch outcome {
        case .truePositive: return truePositive
        case .falsePositive: return falsePositive
        case .falseNegative: return falseNegative
        case .ignored: return ignored
        }
    }

    /// Why views 6 and 7 are empty, or nil when the document has errors.
    static func absence(_ document: ExplorerDocument) -> String? {
        switch document.groundTruth {
        case nil: return "no ground truth: pass --panoptic-json and --panoptic-dir"
        case .failure(let problem)?: return problem.description
        case .success?: return nil
        }
    }

    /// "PQ 61.2 SQ 80.1 RQ 76.4 · TP 5 FP 2 FN 1", eval's per-image figures as percentages.
    static func summary(_ scores: PanopticImageScores) -> String {
        String(format: "PQ %.1f SQ %.1f RQ %.1f", 100 * scores.pq, 100 * scores.sq, 100 * scores.rq)
            + " · TP \(scores.tp) FP \(scores.fp) FN \(scores.fn)"
    }

    static func truthRows(_ document: ExplorerDocument, palette: [RGBColor]) -> (header: String, rows: [ListRow]) {
        guard let errors = document.errors else { return ("ground truth", [ListRow(swatch: nil, text: absence(document) ?? "")]) }
        let pixels = Float(max(1, document.image.width * document.image.height))
        return ("gt segment          area  kind", errors.truthSegments.enumerated().map { index, s in
            let kind = s.isCrowd ? "crowd" : (errors.categoryIsThing[s.categoryID] ?? false ? "thing" : "stuff")
            return ListRow(swatch: palette[index % palette.count],
                           text: pad("\(s.id) " + (errors.categoryNames[s.categoryID] ?? "?"), 16)
                               + String(format: " %5.1f%%  ", 100 * Float(s.area) / pixels) + kind)
        })
    }

    static func errorRows(_ document: ExplorerDocument) -> (header: String, rows: [ListRow]) {
        guard let errors = document.errors else { return ("errors", [ListRow(swatch: nil, text: absence(document) ?? "")]) }
        return ("   class      IoU partner query · why", errors.rows.map { row in
            ListRow(swatch: colour(of: row.segment.outcome), text: text(of: row))
        })
    }

    /// "FP square     0.42 gt 5003 q12 · wrong class": the query before the reason, which may be cut off.
    static func text(of row: ErrorRow) -> String {
        let s = row.segment
        let (tag, why): (String, String?) = switch s.outcome {
        case .truePositive: ("TP", nil)
        case .falsePositive(let reason): ("FP", reason.rawValue)
        case .falseNegative(let reason): ("FN", reason.rawValue)
        case .ignored: ("--", "on VOID or crowd")
        }
        let partnerSide = row.side == .prediction ? "gt" : "seg"
        let partner = s.partner.map { " \(partnerSide) \($0)" } ?? ""
        return tag + " " + pad(row.categoryName, 9) + String(format: " %4.2f", s.iou) + partner
            + (s.query.map { " q\($0)" } ?? "") + (why.map { " · " + $0 } ?? "")
    }

    /// Enter in the errors view: the queries-view row of the selected FP's or FN's responsible query.
    static func jump(state: ExplorerState, document: ExplorerDocument) -> ExplorerEvent? {
        guard state.view == .errors, let query = document.errors?.responsibleQuery(row: state.selection),
              let row = document.queries.firstIndex(where: { $0.query == query }) else { return nil }
        return .showQuery(row: row)
    }
}

extension ExplorerDocument {
    /// What Enter does in this state beyond the details box: the errors view's and the layer grid's
    /// jumps to a query, if there is one.
    public func enterEvent(state: ExplorerState) -> ExplorerEvent? {
        switch state.view {
        case .errors: return ErrorsPanel.jump(state: state, document: self)
        case .layers: return LayerGrid.jump(state: state, document: self)
        default: return nil
        }
    }
}
