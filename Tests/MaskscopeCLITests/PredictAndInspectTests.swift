// `maskscope predict` and `maskscope inspect` as a user runs them: the files they write, what they
// print, and one clear line with a non-zero status for every bad input.

import Foundation
import Safetensors
import TensorCore
import TestSupport
import Testing

func scratchDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "maskscope-cli-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("maskscope predict and inspect")
struct PredictAndInspectTests {
    let model = fixturePath("models/tiny-w7")
    let image = fixturePath("reference/images/scene-120x90.png")

    @Test("predict writes every layer's logits under the exact names, equal to transformers")
    func predictSavesLogits() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/logits.safetensors"
        // The reference is transformers 4.57's slow processor (the 5.x backends: PreprocessingBackendTests).
        let result = try runMaskscope(["predict", image, "--model", model, "--save-logits", output, "--preprocess", "transformers4-pil"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.contains("120×90 → input 96×96"), "\(result.stdout)")
        #expect(result.stdout.contains("top queries"))

        let saved = try SafetensorsFile(path: output)
        let expectedNames = ["pixel_values"] + (0...9).flatMap { ["class_logits.\($0)", "mask_logits.\($0)"] }
        #expect(Set(saved.names) == Set(expectedNames))
        let reference = try SafetensorsFile(path: fixturePath("reference/tiny-w7-scene-120x90.safetensors"))
        for name in expectedNames {
            #expect(saved.entries[name]?.dtype == .f32)
            expectClose(try saved.floatTensor(name), try reference.floatTensor(name), stage: "predict --save-logits \(name)")
        }

        // A second run does not replace the file unless asked.
        let again = try runMaskscope(["predict", image, "--model", model, "--save-logits", output])
        #expect(again.status == 1)
        #expect(again.stderr == "maskscope: \(output): already exists; pass --overwrite to replace it\n")
        let forced = try runMaskscope(["predict", image, "--model", model, "--save-logits", output, "--overwrite"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test("inspect prints the config and parameter count")
    func inspect() throws {
        let result = try runMaskscope(["inspect", model])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("window 7"))
        #expect(result.stdout.contains("9 masked-attention layers, 12 queries"))
        #expect(result.stdout.contains("every tensor present"))
        #expect(result.stdout.contains("file format       safetensors"), "\(result.stdout)")
        #expect(result.stdout.contains("preprocessing     transformers5-torchvision: transformers 5.x"), "\(result.stdout)")
        let older = try runMaskscope(["inspect", model, "--preprocess", "transformers4-pil"])
        #expect(older.stdout.contains("preprocessing     transformers4-pil: transformers 4.57"), "\(older.stdout)")
    }

    @Test("inspect and predict on a detectron2 .pkl: format, architecture from the shapes, preprocessing at detectron2's size")
    func detectron2() throws {
        let checkpoint = fixturePath("detectron2/tiny-w7.pkl")
        let result = try runMaskscope(["inspect", checkpoint])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["format            detectron2 checkpoint", "architecture      Swin (embed dim 16), 12 queries, 7 classes, 10 predictions",
                     "heads [2, 4, 8, 16], window 7", "dataset           unknown for 7 classes",
                     "preprocessing     detectron2: pixel mean [123.675, 116.28, 103.53] / std [58.395, 57.12, 57.375]",
                     "ResizeShortestEdge 800 (max 1333), pad to a multiple of 32", "every tensor present"] {
            #expect(result.stdout.contains(line), "missing '\(line)' in\n\(result.stdout)")
        }
        // Logit parity of .pkl files is ParityTests' (on the reference inputs); here predict must accept
        // the file and resize to detectron2's COCO test size (shortest edge 800, then ×32).
        let predicted = try runMaskscope(["predict", image, "--model", checkpoint])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        #expect(predicted.stdout.contains("120×90 → input 1088×800"), "\(predicted.stdout)")

        // --detectron2-config replaces the dataset defaults; a transformers backend is refused for a .pkl.
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let yaml = directory + "/tiny.yaml"
        try "INPUT:\n  FORMAT: \"RGB\"\n  MIN_SIZE_TEST: 64\n  MAX_SIZE_TEST: 96\nMODEL:\n  MASK_FORMER:\n    NUM_OBJECT_QUERIES: 12\n    TEST:\n      PANOPTIC_ON: True\n"
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        let configured = try runMaskscope(["inspect", checkpoint, "--detectron2-config", yaml])
        #expect(configured.status == 0, "\(configured.stderr)")
        #expect(configured.stdout.contains("ResizeShortestEdge 64 (max 96), pad to a multiple of 32 (--detectron2-config \(yaml))"), "\(configured.stdout)")
        #expect(configured.stdout.contains("outputs semantic, panoptic, OBJECT_MASK_THRESHOLD 0.8"), "\(configured.stdout)")
        let refused = try runMaskscope(["predict", image, "--model", checkpoint, "--preprocess", "transformers5-torchvision"])
        #expect(refused.status == 1 && refused.stderr.contains("a detectron2 checkpoint is preprocessed as detectron2 does"), "\(refused.stderr)")
    }

    @Test("bad inputs give one line on stderr and status 1; bad usage gives status 2")
    func errors() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let corrupt = directory + "/corrupt.png"
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(to: URL(fileURLWithPath: corrupt))

        let cases: [([String], String)] = [
            (["predict", corrupt, "--model", model], corrupt),
            (["predict", directory + "/absent.png", "--model", model], "absent.png"),
            (["predict", image, "--model", directory], "missing config.json"),
            (["predict", image, "--model", "nobody/no-such-model"], "never downloads"),
            (["inspect", directory], "missing config.json"),
        ]
        for (arguments, needle) in cases {
            let result = try runMaskscope(arguments)
            #expect(result.status == 1, "\(arguments): status \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.hasPrefix("maskscope: ") && result.stderr.contains(needle), "\(arguments): \(result.stderr)")
            #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(arguments): more than one line: \(result.stderr)")
        }
        let usage = try runMaskscope(["predict"])
        #expect(usage.status == 2, "\(usage.stderr)")
        #expect(usage.stderr.contains("Missing expected argument"))
    }
}
