// The label catalogues compiled into the binary are exactly the JSON files, with the expected splits.

import FileIO
import Foundation
import TestSupport
import Testing
@testable import Segmentation

@Suite("Dataset catalogue")
struct DatasetCatalogTests {
    @Test("the embedded catalogue equals Sources/Segmentation/Datasets (regenerate with Tools/datasets/embed.py)")
    func embeddedCatalogueMatchesFiles() throws {
        let folder = fixturesDirectory.replacingOccurrences(of: "/Tests/Fixtures", with: "/Sources/Segmentation/Datasets")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.map { String($0.dropLast(5)) } == embeddedDatasetJSON.keys.sorted())
        for file in files {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            #expect(embeddedDatasetJSON[String(file.dropLast(5))] == text.trimmingCharacters(in: .newlines), "\(file) drifted")
        }
    }

    @Test("class and stuff counts", arguments: [("coco-panoptic", 133, 53), ("ade20k-150", 150, 50),
                                                ("cityscapes-19", 19, 11), ("mapillary-vistas-65", 65, 28),
                                                ("shapes-world", 9, 4)])
    func counts(_ name: String, _ classes: Int, _ stuff: Int) throws {
        let dataset = try #require(try DatasetCatalog.named(name))
        #expect(dataset.labels.count == classes)
        #expect(dataset.labels.map(\.id) == Array(0..<classes))
        #expect(dataset.stuffIDs.count == stuff)
        #expect(try DatasetCatalog.matching(labels: dataset.labels.map(\.name)) == dataset)
    }

    @Test("COCO things are 0…79 and names are kept verbatim")
    func specifics() throws {
        let coco = try #require(try DatasetCatalog.named("coco-panoptic"))
        #expect(coco.stuffIDs == Set(80..<133))
        #expect(coco.labels[0].name == "person" && coco.labels[132].name == "rug-merged")
        // ADE20K's id2label spells class 7 "bed " with a trailing space; matching must not trim it.
        #expect(try DatasetCatalog.named("ade20k-150")?.labels[7].name == "bed ")
        #expect(try DatasetCatalog.matching(labels: ["sky", "grass"]) == nil)
    }

    @Test("a detectron2 class count names its dataset: all categories, or the things only for instance models")
    func detectron2Datasets() throws {
        let expected: [Int: (String, String, String)] = [
            133: ("coco-panoptic", "person", "rug-merged"), 80: ("coco-instance", "person", "toothbrush"),
            150: ("ade20k-150", "wall", "flag"), 19: ("cityscapes-19", "road", "bicycle"),
            8: ("cityscapes-instance", "person", "bicycle"), 65: ("mapillary-vistas-65", "Bird", "Ego Vehicle"),
        ]
        for (count, (name, first, last)) in expected {
            let dataset = try DatasetCatalog.detectron2Dataset(classCount: count)
            #expect(dataset?.name == name && dataset?.labels.count == count, "\(count)")
            #expect(dataset?.labels.first == first && dataset?.labels.last == last, "\(count): \(dataset?.labels.first ?? "") … \(dataset?.labels.last ?? "")")
        }
        #expect(try DatasetCatalog.detectron2Dataset(classCount: 7) == nil)
    }

    @Test("a compiled-in catalogue that does not decode is an error naming its file and field, not a dataset dropped")
    func malformedCatalogue() throws {
        let good = try #require(embeddedDatasetJSON["shapes-world"])
        #expect(try DatasetCatalog.decode(name: "shapes-world", json: good).labels.count == 9)
        let broken = good.replacingOccurrences(of: "\"isthing\"", with: "\"is_thing\"")
        // The whole catalogue fails with it (before, the broken dataset was silently left out).
        #expect(try DatasetCatalog.decodeAll(["shapes-world": good]).count == 1)
        let error = #expect(throws: FileError.self) { try DatasetCatalog.decodeAll(["shapes-world": broken, "ade20k-150": good]) }
        let message = "\(error!)"
        #expect(message.hasPrefix("Sources/Segmentation/Datasets/shapes-world.json: "), "\(message)")
        #expect(message.contains("missing field 'labels[0].isthing'") && message.contains("Tools/datasets/embed.py"), "\(message)")
    }
}
