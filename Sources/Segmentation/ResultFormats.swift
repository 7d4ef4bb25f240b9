// The result files other tools read: COCO panoptic PNG + JSON, semantic label PNG (+ a coloured one),
// COCO instance results with compressed RLE. They are encoded into a `FileBatch`, so that one image's
// results land together (atomically, refusing to replace a file unless the batch allows it). The JSON
// types are in CocoJSON.swift.

import FileIO
import Foundation
import Imaging

/// Scores as transformers reports them: rounded to 6 decimals.
func rounded6(_ value: Float) -> Double { (Double(value) * 1e6).rounded() / 1e6 }

func encodeJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return Array(try encoder.encode(value)) + [0x0A]
}

/// The COCO panoptic PNG encoding: segment id = R + 256·G + 256²·B.
public func panopticPNGImage(ids: [Int32], width: Int, height: Int) throws -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for (i, id) in ids.enumerated() {
        let value = Int(id)
        pixels[3 * i] = UInt8(value & 0xFF); pixels[3 * i + 1] = UInt8((value >> 8) & 0xFF); pixels[3 * i + 2] = UInt8((value >> 16) & 0xFF)
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
}

/// Segment ids of a COCO panoptic PNG (the inverse of `panopticPNGImage`).
public func panopticIDs(_ png: RGBImage) -> [Int32] {
    var ids = [Int32](repeating: 0, count: png.width * png.height)
    for i in ids.indices {
        let r = Int32(png.pixels[3 * i]), g = Int32(png.pixels[3 * i + 1]), b = Int32(png.pixels[3 * i + 2])
        ids[i] = r | (g << 8) | (b << 16)
    }
    return ids
}

public enum ResultWriter {
    /// `<base>.png` with id = R + 256·G + 256²·B and `<base>.json` with the segments.
    public static func addPanoptic(_ result: PanopticResult, labels: [String], imageID: String, basePath: String,
                                   to batch: inout FileBatch) throws {
        let map = result.map
        let pngName = basePath + ".png"
        let annotation = CocoPanopticAnnotation(
            image_id: .text(imageID), file_name: (pngName as NSString).lastPathComponent,
            segments_info: result.segments.map { segment in
                CocoPanopticSegment(id: Int(segment.id), category_id: segment.label, label: name(segment.label, labels),
                                    isthing: segment.isThing, area: segment.area,
                                    bbox: [segment.boundingBox.x, segment.boundingBox.y, segment.boundingBox.width, segment.boundingBox.height],
                                    iscrowd: 0, score: rounded6(segment.score))
            })
        batch.add(try encodePNG(try panopticPNGImage(ids: map.values, width: map.width, height: map.height)), at: pngName)
        batch.add(try encodeJSON(annotation), at: basePath + ".json")
    }

    /// `<base>.png`: class ids (8-bit when K ≤ 256, else 16-bit); `<base>.color.png`: one colour per class.
    public static func addSemantic(_ map: LabelMap, classCount: Int, palette: SegmentPalette, basePath: String,
                                   to batch: inout FileBatch) throws {
        let bytes = classCount <= 256
            ? try encodeGreyPNG(width: map.width, height: map.height, samples8: map.values.map { UInt8(truncatingIfNeeded: $0) })
            : try encodeGreyPNG(width: map.width, height: map.height, samples16: map.values.map { UInt16(truncatingIfNeeded: $0) })
        batch.add(bytes, at: basePath + ".png")
        var pixels = [UInt8](repeating: 0, count: map.values.count * 3)
        for (i, label) in map.values.enumerated() {
            let color = palette.color(Int(label))
            pixels[3 * i] = color.r; pixels[3 * i + 1] = color.g; pixels[3 * i + 2] = color.b
        }
        batch.add(try encodePNG(try RGBImage(width: map.width, height: map.height, pixels: pixels)), at: basePath + ".color.png")
    }

    /// A COCO instance results list for one image.
    public static func instanceResults(_ instances: [InstancePrediction], labels: [String], imageID: String) -> [CocoInstanceResult] {
        instances.map { instance in
            let box = instance.mask.boundingBox ?? (0, 0, 0, 0)
            return CocoInstanceResult(image_id: .text(imageID), category_id: instance.label, label: name(instance.label, labels),
                                      segmentation: cocoRLE(instance.mask), score: rounded6(instance.score),
                                      bbox: [box.x, box.y, box.width, box.height], area: instance.mask.area, query: instance.query)
        }
    }

    public static func addInstances(_ instances: [InstancePrediction], labels: [String], imageID: String, path: String,
                                    to batch: inout FileBatch) throws {
        batch.add(try encodeJSON(instanceResults(instances, labels: labels, imageID: imageID)), at: path)
    }

    static func name(_ label: Int, _ labels: [String]) -> String {
        label >= 0 && label < labels.count ? labels[label] : "class \(label)"
    }
}
