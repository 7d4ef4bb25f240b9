// Checkpoints as users have them (issue 14): pytorch_model.bin instead of model.safetensors, and HF
// caches whose refs/main snapshot lacks the weights that another snapshot (refs/pr/N) holds.

import FileIO
import Foundation
import Mask2Former
import TestSupport
import Testing

/// A fake HF cache: `snapshots` maps commit → files (copied from tiny-w7 or a named source), `refs` ref → commit.
struct FakeHubCache {
    let root = NSTemporaryDirectory() + "maskscope-hub-" + UUID().uuidString
    let repo: String

    init(repoID: String, snapshots: [String: [String: String]], refs: [String: String]) throws {
        repo = root + "/models--" + repoID.replacingOccurrences(of: "/", with: "--")
        let manager = FileManager.default
        for (commit, files) in snapshots {
            try manager.createDirectory(atPath: repo + "/snapshots/" + commit, withIntermediateDirectories: true)
            for (file, source) in files {
                // The hub cache holds symlinks into blobs/; resolve through them the same way.
                try manager.createSymbolicLink(atPath: repo + "/snapshots/\(commit)/\(file)", withDestinationPath: source)
            }
        }
        for (ref, commit) in refs {
            let path = repo + "/refs/" + ref
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try commit.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    var environment: [String: String] { ["HF_HUB_CACHE": root] }
    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

func tinyW7(_ file: String) -> String { fixturePath("models/tiny-w7/" + file) }
let configFiles = ["config.json": tinyW7("config.json"), "preprocessor_config.json": tinyW7("preprocessor_config.json")]

@Suite("Checkpoint formats and HF cache snapshots")
struct CheckpointFormatTests {
    @Test("pytorch_model.bin loads the same tensors as model.safetensors and computes exactly the same")
    func pytorchBin() throws {
        let folder = NSTemporaryDirectory() + "maskscope-bin-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (file, source) in configFiles.merging(["pytorch_model.bin": tinyW7("pytorch_model.bin")], uniquingKeysWith: { a, _ in a }) {
            try FileManager.default.copyItem(atPath: source, toPath: folder + "/" + file)
        }
        let fromBin = try Mask2FormerModel(model: folder)
        let fromSafetensors = try Mask2FormerModel(model: fixturePath("models/tiny-w7"))
        #expect(fromBin.location.weightsPath == folder + "/pytorch_model.bin")
        #expect(fromBin.weightsFormat.contains("PyTorch zip") && fromSafetensors.weightsFormat == "safetensors")
        #expect(fromBin.parameters == fromSafetensors.parameters)
        let (pixels, expected) = try referenceInputAndLogits()
        let binLogits = fromBin.forward(pixels).final.maskLogits
        #expect(binLogits.scalars == fromSafetensors.forward(pixels).final.maskLogits.scalars)
        expectClose(binLogits, expected, stage: "pytorch_model.bin, final mask logits")
    }

    @Test("a malicious pytorch_model.bin in a model folder is refused by name and runs nothing")
    func maliciousBin() throws {
        let folder = NSTemporaryDirectory() + "maskscope-evil-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (file, source) in configFiles { try FileManager.default.copyItem(atPath: source, toPath: folder + "/" + file) }
        try FileManager.default.copyItem(atPath: fixturePath("torch/malicious-os-system.bin"), toPath: folder + "/pytorch_model.bin")
        try? FileManager.default.removeItem(atPath: "/tmp/maskscope-pickle-ran")
        let message = try #require(loadingError { _ = try Mask2FormerModel(model: folder) })
        #expect(message.hasPrefix(folder + "/pytorch_model.bin: ") && message.contains("'posix.system'"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/maskscope-pickle-ran"))
    }

    @Test("refs/main without weights: the weights of the refs/pr/N snapshot are used, and the note says which")
    func prSnapshotWeights() throws {
        // What transformers leaves for facebook/mask2former-swin-large-coco-panoptic: config from main,
        // model.safetensors fetched from the conversion PR's revision.
        let cache = try FakeHubCache(
            repoID: "facebook/mask2former-swin-large-coco-panoptic",
            snapshots: ["aaaa1111": configFiles, "bbbb2222": ["model.safetensors": tinyW7("model.safetensors")]],
            refs: ["main": "aaaa1111", "pr/3": "bbbb2222"])
        defer { cache.remove() }
        let location = try CheckpointLocation.resolve("facebook/mask2former-swin-large-coco-panoptic", environment: cache.environment)
        #expect(location.folder == cache.repo + "/snapshots/aaaa1111")
        #expect(location.weightsPath == cache.repo + "/snapshots/bbbb2222/model.safetensors")
        let note = try #require(location.note)
        #expect(note.contains("bbbb2222 (refs/pr/3)") && note.contains("refs/main's snapshot aaaa1111"), "\(note)")
        let loaded = try Mask2FormerModel(location: location)
        #expect(loaded.config.numQueries == 12)
    }

    @Test("refs/main with only pytorch_model.bin is used as it is, with no note")
    func mainWithBin() throws {
        let cache = try FakeHubCache(
            repoID: "facebook/m2f",
            snapshots: ["aaaa1111": configFiles.merging(["pytorch_model.bin": tinyW7("pytorch_model.bin")]) { a, _ in a },
                        "bbbb2222": ["model.safetensors": tinyW7("model.safetensors")]],
            refs: ["main": "aaaa1111", "pr/3": "bbbb2222"])
        defer { cache.remove() }
        let location = try CheckpointLocation.resolve("facebook/m2f", environment: cache.environment)
        #expect(location.weightsPath == cache.repo + "/snapshots/aaaa1111/pytorch_model.bin")
        #expect(location.note == nil)
    }

    @Test("no snapshot with weights names both files maskscope reads; a ref cannot lead outside snapshots/")
    func noWeights() throws {
        let cache = try FakeHubCache(repoID: "example/m2f", snapshots: ["aaaa1111": configFiles], refs: ["main": "aaaa1111", "pr/1": "../../../tmp"])
        defer { cache.remove() }
        let message = try #require(loadingError { _ = try CheckpointLocation.resolve("example/m2f", environment: cache.environment) })
        #expect(message.contains("snapshots/aaaa1111: missing model.safetensors or pytorch_model.bin"), "\(message)")
    }
}

@Suite("Weight files opened by content")
struct WeightFileFormatTests {
    @Test("zip → torch, pickle → detectron2, else safetensors; a pickle that is no Mask2Former as --model says what is missing")
    func dispatch() throws {
        #expect(try openWeightFile(path: tinyW7("pytorch_model.bin")).formatName.contains("PyTorch zip"))
        #expect(try openWeightFile(path: fixturePath("torch/detectron2-p2.pkl")).formatName == "detectron2 pickle")
        #expect(try openWeightFile(path: tinyW7("model.safetensors")).formatName == "safetensors")
        #expect(try CheckpointLocation.resolve(fixturePath("torch/detectron2-p2.pkl")).isDetectron2)
        let message = try #require(loadingError { _ = try Mask2FormerModel(model: fixturePath("torch/detectron2-p2.pkl")) })
        #expect(message.contains("detectron2-p2.pkl: ") && message.contains("the Swin backbone has 0 stages; Mask2Former needs 4"), "\(message)")
    }
}
