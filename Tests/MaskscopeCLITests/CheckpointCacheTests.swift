// `maskscope predict IMAGE --model facebook/mask2former-swin-large-coco-panoptic` from an HF cache laid
// out as transformers leaves it for that repo (weights only in the refs/pr/3 snapshot), tiny-w7 standing in.

import Foundation
import TestSupport
import Testing

@Suite("maskscope with the HF cache as transformers leaves it")
struct CheckpointCacheTests {
    @Test("predict and inspect use the refs/pr/3 weights and say so")
    func prWeights() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repo = root + "/models--facebook--mask2former-swin-large-coco-panoptic"
        let manager = FileManager.default
        let files = ["main0000": ["config.json", "preprocessor_config.json", "pytorch_model.bin"], "pr30000": ["model.safetensors"]]
        for (commit, names) in files {
            try manager.createDirectory(atPath: repo + "/snapshots/" + commit, withIntermediateDirectories: true)
            for name in names {
                try manager.createSymbolicLink(atPath: repo + "/snapshots/\(commit)/\(name)", withDestinationPath: fixturePath("models/tiny-w7/\(name)"))
            }
        }
        try manager.createDirectory(atPath: repo + "/refs/pr", withIntermediateDirectories: true)
        try "main0000".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        try "pr30000".write(toFile: repo + "/refs/pr/3", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_CACHE"] = root
        let image = fixturePath("reference/images/scene-120x90.png")
        let model = "facebook/mask2former-swin-large-coco-panoptic"

        // main holds pytorch_model.bin: read as it is.
        let inspect = try runMaskscope(["inspect", model], environment: environment)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("main0000/pytorch_model.bin (PyTorch zip (torch.save))"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("snapshot          main0000 (refs/main)"), "\(inspect.stdout)")

        // Without it, the refs/pr/3 snapshot's model.safetensors, with a note on stderr.
        try manager.removeItem(atPath: repo + "/snapshots/main0000/pytorch_model.bin")
        let result = try runMaskscope(["predict", image, "--model", model], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr == "maskscope: note: weights from snapshot pr30000 (refs/pr/3): refs/main's snapshot main0000 holds none maskscope reads\n", "\(result.stderr)")
        #expect(result.stdout.contains("top queries"))
        let noted = try runMaskscope(["inspect", model], environment: environment)
        #expect(noted.stdout.contains("snapshot          weights from snapshot pr30000 (refs/pr/3)"), "\(noted.stdout)")
    }
}
