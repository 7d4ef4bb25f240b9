// The label catalogues compiled into the binary are exactly the JSON files, with the expected splits.

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
        let dataset = try #require(DatasetCatalog.named(name))
        #expect(dataset.labels.count == classes)
        #expect(dataset.labels.map(\.id) == Array(0..<classes))
        #expect(dataset.stuffIDs.count == stuff)
        #expect(DatasetCatalog.matching(labels: dataset.labels.map(\.name)) == dataset)
    }

    @Test("COCO things are 0…79 and names are kept verbatim")
    func specifics() throws {
        let coco = try #require(DatasetCatalog.named("coco-panoptic"))
        #expect(coco.stuffIDs == Set(80..<133))
        #expect(coco.labels[0].name == "person" && coco.labels[132].name == "rug-merged")
        // ADE20K's id2label spells class 7 "bed " with a trailing space; matching must not trim it.
        #expect(DatasetCatalog.named("ade20k-150")?.labels[7].name == "bed ")
        #expect(DatasetCatalog.matching(labels: ["sky", "grass"]) == nil)
    }
}
