// Every figure of one evaluation, as a table for people and as JSON for tools. Percentages, as the
// papers and panopticapi print them.

import Foundation

public struct EvaluationReport: Sendable {
    public var categories: [PanopticCategory]
    public var quality: PanopticQualityAccumulator
    public var confusion: ConfusionMatrix
    public var precision: MaskAveragePrecision
    public var images: Int
    /// Each image's PQ, SQ, RQ and counts, by image id (what the explorer's errors view shows).
    public var perImage: [String: PanopticImageScores]

    public init(categories: [PanopticCategory], quality: PanopticQualityAccumulator, confusion: ConfusionMatrix,
                precision: MaskAveragePrecision, images: Int, perImage: [String: PanopticImageScores] = [:]) {
        self.categories = categories; self.quality = quality; self.confusion = confusion; self.precision = precision; self.images = images
        self.perImage = perImage
    }

    public func table() -> String {
        var lines = ["\(images) images, \(categories.count) categories (\(categories.filter(\.isThing).count) things)", ""]
        lines.append("          PQ      SQ      RQ     N")
        for (name, isThing) in [("All", Bool?.none), ("Things", true), ("Stuff", false)] {
            let (s, _) = quality.average(categories: categories, isThing: isThing)
            lines.append(name.padding(toLength: 7, withPad: " ", startingAt: 0)
                         + String(format: " %6.2f  %6.2f  %6.2f  %4d", 100 * s.pq, 100 * s.sq, 100 * s.rq, s.n))
        }
        let iou = confusion.intersectionOverUnion()
        lines.append("")
        lines.append(String(format: "semantic mIoU %.2f   pixel accuracy %.2f", 100 * iou.mean, 100 * iou.pixelAccuracy))
        let ap = precision.summarize()
        func pct(_ v: Double) -> String { v < 0 ? "  n/a" : String(format: "%5.2f", 100 * v) }
        lines.append("mask AP \(pct(ap.ap))  AP50 \(pct(ap.ap50))  AP75 \(pct(ap.ap75))  APs \(pct(ap.apSmall))  APm \(pct(ap.apMedium))  APl \(pct(ap.apLarge))")
        lines.append("")
        lines.append("per class                    PQ      SQ      RQ     IoU      AP")
        let (_, perClass) = quality.average(categories: categories, isThing: nil)
        for (index, category) in categories.enumerated() {
            let s = perClass[category.id]
            let classIoU = iou.perClass[index].map { String(format: "%6.2f", 100 * $0) } ?? "   n/a"
            let classAP = category.isThing ? (ap.perCategory[category.id].flatMap { $0 }.map { String(format: "%6.2f", 100 * $0) } ?? "   n/a") : "     -"
            lines.append("  " + "\(category.name) (\(category.isThing ? "thing" : "stuff"))".padding(toLength: 24, withPad: " ", startingAt: 0)
                         + String(format: " %6.2f  %6.2f  %6.2f  ", 100 * (s?.pq ?? 0), 100 * (s?.sq ?? 0), 100 * (s?.rq ?? 0)) + classIoU + "  " + classAP)
        }
        return lines.joined(separator: "\n")
    }

    public func json() throws -> [UInt8] {
        func percent(_ value: Double) -> Any { value < 0 ? NSNull() : 100 * value }
        func scores(_ isThing: Bool?) -> [String: Any] {
            let (s, _) = quality.average(categories: categories, isThing: isThing)
            return ["pq": 100 * s.pq, "sq": 100 * s.sq, "rq": 100 * s.rq, "n": s.n]
        }
        let (_, perClass) = quality.average(categories: categories, isThing: nil)
        let iou = confusion.intersectionOverUnion()
        let ap = precision.summarize()
        var classes: [[String: Any]] = []
        for (index, category) in categories.enumerated() {
            var entry: [String: Any] = ["id": category.id, "name": category.name, "isthing": category.isThing]
            if let s = perClass[category.id] { entry["pq"] = 100 * s.pq; entry["sq"] = 100 * s.sq; entry["rq"] = 100 * s.rq }
            if let value = iou.perClass[index] { entry["iou"] = 100 * value }
            if let value = ap.perCategory[category.id] ?? nil { entry["ap"] = 100 * value }
            classes.append(entry)
        }
        let object: [String: Any] = [
            "images": images,
            "panoptic": ["all": scores(nil), "things": scores(true), "stuff": scores(false)],
            "semantic": ["miou": 100 * iou.mean, "pixel_accuracy": 100 * iou.pixelAccuracy],
            // COCOeval's −1 ("nothing to evaluate") becomes null.
            "mask_ap": ["ap": percent(ap.ap), "ap50": percent(ap.ap50), "ap75": percent(ap.ap75),
                        "ap_small": percent(ap.apSmall), "ap_medium": percent(ap.apMedium), "ap_large": percent(ap.apLarge)],
            "per_class": classes,
            "per_image": perImage.mapValues(\.json),
        ]
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) + [0x0A]
    }
}
