// --detectron2-config: official Mask2Former config files (copied unchanged from
// facebookresearch/Mask2Former 9b0651c, configs/, into Tests/Fixtures/detectron2/configs) read with
// their _BASE_ chains, and the hostile cases (cycles, eval tags on read keys, depth, duplicates).

import Foundation
import Mask2Former
import TestSupport
import Testing

@Suite("detectron2 config files")
struct Detectron2ConfigTests {
    func config(_ relative: String) -> String { fixturePath("detectron2/configs/\(relative)") }

    @Test("Swin-L COCO panoptic: three files deep, detectron2's defaults where the files say nothing")
    func swinLargeCocoPanoptic() throws {
        let file = try Detectron2ConfigFile.load(path: config("coco/panoptic-segmentation/swin/maskformer2_swin_large_IN21k_384_bs16_100ep.yaml"))
        #expect(file.files.count == 3)
        #expect(file.files.last?.hasSuffix("Base-COCO-PanopticSegmentation.yaml") == true)
        // COCO's base sets no MIN/MAX_SIZE_TEST: detectron2's defaults 800/1333.
        #expect(file.minSizeTest == 800 && file.maxSizeTest == 1333)
        #expect(file.pixelMean == [123.675, 116.28, 103.53] && file.pixelStd == [58.395, 57.12, 57.375])
        #expect(file.sizeDivisibility == 32)
        // The Swin-L file overrides the R50 file's 100 queries.
        #expect(file.numObjectQueries == 200 && file.numClasses == 133)
        #expect(file.semanticOn && file.instanceOn && file.panopticOn)
        #expect(file.objectMaskThreshold == 0.8 && file.overlapThreshold == 0.8)
        // A tuple-looking string, with a comment after it.
        #expect(file.testDatasets == ["coco_2017_val_panoptic_with_sem_seg"])
        #expect(file.testDatasetCatalogName == "coco-panoptic")
    }

    @Test("ADE20K panoptic: an !!python/object/apply:eval tag (on a key not read) is tolerated, never evaluated")
    func ade20kPanoptic() throws {
        let file = try Detectron2ConfigFile.load(path: config("ade20k/panoptic-segmentation/maskformer2_R50_bs16_160k.yaml"))
        #expect(file.minSizeTest == 640 && file.maxSizeTest == 2560)
        #expect(file.numClasses == 150 && file.testDatasets == ["ade20k_panoptic_val"])
        #expect(file.testDatasetCatalogName == "ade20k-150")
    }

    @Test("Cityscapes semantic: 1024/2048, semantic only")
    func cityscapesSemantic() throws {
        let file = try Detectron2ConfigFile.load(path: config("cityscapes/semantic-segmentation/maskformer2_R50_bs16_90k.yaml"))
        #expect(file.minSizeTest == 1024 && file.maxSizeTest == 2048 && file.numClasses == 19)
        #expect(file.semanticOn && !file.instanceOn && !file.panopticOn)
    }

    /// Writes `files` (name → text) into a fresh folder and returns its path.
    func scratch(_ files: [String: String]) throws -> String {
        let directory = NSTemporaryDirectory() + "maskscope-d2cfg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    func error(_ path: String) -> String? {
        do { _ = try Detectron2ConfigFile.load(path: path); return nil } catch { return String(describing: error) }
    }

    @Test("hostile configs end in one line naming the file and the problem")
    func hostile() throws {
        let nested = (0..<40).map { String(repeating: "  ", count: $0) + "K\($0):" }.joined(separator: "\n") + " 1\n"
        let directory = try scratch([
            "a.yaml": "_BASE_: b.yaml\nINPUT:\n  FORMAT: \"RGB\"\n",
            "b.yaml": "_BASE_: a.yaml\n",
            "self.yaml": "_BASE_: ./self.yaml\n",
            "eval.yaml": "INPUT:\n  FORMAT: \"RGB\"\n  MIN_SIZE_TEST: !!python/object/apply:eval [\"__import__('os').system('touch /tmp/maskscope-pwned')\"]\n",
            "deep.yaml": nested,
            "url.yaml": "_BASE_: https://example.com/base.yaml\n",
            "missing.yaml": "_BASE_: nowhere.yaml\n",
            "bgr.yaml": "INPUT:\n  MIN_SIZE_TEST: 600\n",
            "badmean.yaml": "INPUT:\n  FORMAT: RGB\nMODEL:\n  PIXEL_MEAN: [1, 2]\n",
            "badstd.yaml": "INPUT:\n  FORMAT: RGB\nMODEL:\n  PIXEL_STD: [1, 0, 1]\n",
            "tab.yaml": "INPUT:\n\tFORMAT: RGB\n",
            "notkey.yaml": "INPUT\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases = [
            ("a.yaml", "(a cycle)"), ("self.yaml", "(a cycle)"),
            ("eval.yaml", "INPUT.MIN_SIZE_TEST is a !!python/object/apply:eval value"),
            ("deep.yaml", "nested deeper than 32 levels"), ("url.yaml", "maskscope never downloads"),
            ("missing.yaml", "nowhere.yaml: cannot read the config"), ("bgr.yaml", "INPUT.FORMAT is BGR"),
            ("badmean.yaml", "MODEL.PIXEL_MEAN is a list of 2; expected 3 numbers"), ("badstd.yaml", "MODEL.PIXEL_STD [1.0, 0.0, 1.0]"),
            ("tab.yaml", "tab in the indentation"), ("notkey.yaml", "expected `KEY: value`"),
        ]
        for (name, needle) in cases {
            let message = try #require(error(directory + "/" + name), "\(name) was accepted")
            #expect(message.contains(needle), "\(name): \(message)")
            #expect(!message.contains("\n"), "\(name): \(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/maskscope-pwned"))
    }

    @Test("a duplicated key keeps its last value, as PyYAML does; a child file overrides its base key by key")
    func duplicatesAndMerge() throws {
        let directory = try scratch([
            "base.yaml": "INPUT:\n  FORMAT: \"RGB\"\n  MIN_SIZE_TEST: 500\n  MAX_SIZE_TEST: 900\nMODEL:\n  MASK_FORMER:\n    TEST:\n      PANOPTIC_ON: True\n",
            "child.yaml": "_BASE_: base.yaml\nINPUT:\n  MIN_SIZE_TEST: 600 # comment\n  MIN_SIZE_TEST: 700\nDATASETS:\n  TEST: ('x_val', \"y_val\")\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try Detectron2ConfigFile.load(path: directory + "/child.yaml")
        #expect(file.minSizeTest == 700 && file.maxSizeTest == 900 && file.panopticOn)
        #expect(file.testDatasets == ["x_val", "y_val"])
    }

    @Test("a config is checked against the checkpoint and its sizes replace the dataset defaults")
    func appliedToCheckpoint() throws {
        // tiny-w7: 12 queries, 7 classes.
        let directory = try scratch([
            "good.yaml": "INPUT:\n  FORMAT: RGB\n  MIN_SIZE_TEST: 64\n  MAX_SIZE_TEST: 96\nMODEL:\n  SEM_SEG_HEAD:\n    NUM_CLASSES: 7\n  MASK_FORMER:\n    NUM_OBJECT_QUERIES: 12\n    SIZE_DIVISIBILITY: 16\n",
            "wrong.yaml": "INPUT:\n  FORMAT: RGB\nMODEL:\n  MASK_FORMER:\n    NUM_OBJECT_QUERIES: 100\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = try Detectron2ConfigFile.load(path: directory + "/good.yaml")
        let model = try Mask2FormerModel(model: fixturePath("detectron2/tiny-w7.pkl"), detectron2Config: good)
        #expect(model.processorConfig.backend == .detectron2)
        #expect(model.processorConfig.size == .shortestEdge(shortest: 64, longest: 96) && model.processorConfig.sizeDivisor == 16)
        // 30×50 → 64×106.7 → capped to 96: 57.6×96 → int(x + 0.5): 58×96, padded to ×16: 64×96.
        #expect(ImageProcessor(config: model.processorConfig).outputSize(height: 30, width: 50) == (64, 96))
        let wrong = try Detectron2ConfigFile.load(path: directory + "/wrong.yaml")
        let message = try #require(loadingError { _ = try Mask2FormerModel(model: fixturePath("detectron2/tiny-w7.pkl"), detectron2Config: wrong) })
        #expect(message.contains("NUM_OBJECT_QUERIES is 100 but") && message.contains("12 queries"), "\(message)")
        let transformers = try #require(loadingError { _ = try Mask2FormerModel(model: fixturePath("models/tiny-w7"), detectron2Config: good) })
        #expect(transformers.contains("--detectron2-config is for detectron2 checkpoints"), "\(transformers)")
    }
}
