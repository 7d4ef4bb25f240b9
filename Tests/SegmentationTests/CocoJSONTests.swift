// The one set of COCO JSON types: what a ground truth, merged results and instance results decode to,
// what they encode back to (keys exactly as other tools read them), and the field-naming errors.

import FileIO
import Foundation
import TestSupport
import Testing
@testable import Segmentation

@Suite("COCO JSON types")
struct CocoJSONTests {
    func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "/maskscope-coco-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func encoded<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test("a panoptic dataset decodes with integer and string image ids, and they encode back unchanged")
    func datasetRoundTrip() throws {
        let text = """
            {"images": [{"id": 139, "file_name": "000000000139.jpg", "height": 4, "width": 6}, {"id": "scene-2", "file_name": "b.png"}],
             "annotations": [{"image_id": 139, "file_name": "000000000139.png",
                              "segments_info": [{"id": 3, "category_id": 1, "iscrowd": 1, "area": 12, "bbox": [0, 0, 4, 3]}]},
                             {"image_id": "scene-2", "file_name": "b.png", "segments_info": []}],
             "categories": [{"id": 1, "name": "person", "isthing": 1, "supercategory": "person"}, {"id": 2, "name": "sky"}]}
            """
        let path = try temporaryFile(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dataset = try JSONFile.decode(CocoPanopticDataset.self, path: path, expecting: "a COCO panoptic JSON")
        #expect(dataset.images.map(\.id) == [.number(139), .text("scene-2")])
        #expect(dataset.annotations[0].image_id.key == "139" && dataset.annotations[1].image_id.key == "scene-2")
        #expect(dataset.categories.map(\.isThing) == [true, false])
        let segment = dataset.annotations[0].segments_info[0]
        #expect(segment.iscrowd == 1 && segment.area == 12 && segment.bbox == [0, 0, 4, 3] && segment.score == nil)
        #expect(try encoded(dataset.annotations[0].image_id) == "139")
        #expect(try encoded(dataset.annotations[1].image_id) == "\"scene-2\"")
    }

    @Test("a missing or mistyped field is named in COCO's terms")
    func fieldNamingErrors() throws {
        let missing = try temporaryFile("""
            {"images": [], "annotations": [{"image_id": 1, "segments_info": []}], "categories": []}
            """)
        let mistyped = try temporaryFile("""
            {"images": [], "annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": [{"id": "7", "category_id": 1}]}], "categories": []}
            """)
        defer { for path in [missing, mistyped] { try? FileManager.default.removeItem(atPath: path) } }
        let first = #expect(throws: FileError.self) {
            try JSONFile.decode(CocoPanopticDataset.self, path: missing, expecting: "a COCO panoptic JSON")
        }
        #expect("\(first!)".hasSuffix("not a COCO panoptic JSON: missing field 'annotations[0].file_name'"), "\(first!)")
        let second = #expect(throws: FileError.self) {
            try JSONFile.decode(CocoPanopticDataset.self, path: mistyped, expecting: "a COCO panoptic JSON")
        }
        #expect("\(second!)".hasSuffix("field 'annotations[0].segments_info[0].id' is not an integer"), "\(second!)")
    }

    @Test("what eval saves and what segment writes keep their exact keys (nil fields are left out)")
    func encodedKeys() throws {
        let saved = CocoPanopticAnnotation(image_id: .text("a"), file_name: "a.panoptic.png",
                                           segments_info: [CocoPanopticSegment(id: 1, category_id: 5, iscrowd: 0)])
        #expect(try encoded(saved) == #"{"file_name":"a.panoptic.png","image_id":"a","segments_info":[{"category_id":5,"id":1,"iscrowd":0}]}"#)
        let rle = CocoRLE(size: [2, 2], counts: "04")
        let result = CocoInstanceResult(image_id: .text("a"), category_id: 3, segmentation: rle, score: 0.5)
        #expect(try encoded(result) == #"{"category_id":3,"image_id":"a","score":0.5,"segmentation":{"counts":"04","size":[2,2]}}"#)
        let written = CocoInstanceResult(image_id: .text("a"), category_id: 3, label: "disc", segmentation: rle, score: 0.5,
                                         bbox: [0, 0, 1, 1], area: 1, query: 7)
        #expect(try encoded(written).contains(#""area":1,"bbox":[0,0,1,1],"category_id":3,"image_id":"a","label":"disc","query":7"#))
        let merged = CocoPanopticResults(annotations: [], categories: [CocoCategory(id: 0, name: "sky", isthing: 0)])
        #expect(try encoded(merged) == #"{"annotations":[],"categories":[{"id":0,"isthing":0,"name":"sky"}]}"#)
    }
}
