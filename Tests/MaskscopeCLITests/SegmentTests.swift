// `maskscope segment` on folders: a corrupt file is named and skipped, reruns never overwrite
// silently, and shards are disjoint and cover everything.

import Foundation
import Safetensors
import TestSupport
import Testing

@Suite("maskscope segment")
struct SegmentTests {
    let model = fixturePath("models/tiny-w7")

    func folderWithImages(corrupt: Bool) throws -> String {
        let folder = try scratchDirectory() + "/photos"
        try FileManager.default.createDirectory(atPath: folder + "/nested", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixturePath("reference/images/scene-120x90.png"), toPath: folder + "/a.png")
        try FileManager.default.copyItem(atPath: fixturePath("reference/images/scene-200x150.png"), toPath: folder + "/nested/b.png")
        try FileManager.default.copyItem(atPath: fixturePath("imaging/baseline420.jpg"), toPath: folder + "/c.jpg")
        if corrupt { try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/broken.png")) }
        return folder
    }

    @Test("a corrupt file is named and skipped, the rest are written, and the status is 1")
    func corruptFile() throws {
        let folder = try folderWithImages(corrupt: true)
        let out = (folder as NSString).deletingLastPathComponent + "/out"
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let result = try runMaskscope(["segment", folder, "--model", model, "--task", "all", "--out", out, "--threshold", "0.05"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("broken.png") && result.stderr.contains("not a PNG or JPEG"), "\(result.stderr)")
        #expect(result.stderr.contains("done 3, failed 1"), "\(result.stderr)")
        for stem in ["photos/a", "photos/nested/b", "photos/c"] {
            for suffix in [".panoptic.png", ".panoptic.json", ".panoptic.overlay.png", ".semantic.png", ".semantic.color.png",
                           ".semantic.overlay.png", ".instances.json", ".instances.overlay.png"] {
                #expect(FileManager.default.fileExists(atPath: out + "/" + stem + suffix), "missing \(stem)\(suffix)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/photos/broken.panoptic.overlay.png"))

        // A second run refuses to overwrite; with --overwrite it replaces; --skip-existing resumes.
        let overlay = out + "/photos/a.panoptic.overlay.png"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: overlay))
        let again = try runMaskscope(["segment", folder, "--model", model, "--task", "all", "--out", out, "--threshold", "0.05"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists; pass --overwrite"), "\(again.stderr)")
        // Other options into the same folder are refused before anything runs: results would mix.
        let mixed = try runMaskscope(["segment", folder, "--model", model, "--task", "all", "--out", out, "--skip-existing"])
        #expect(mixed.status == 1)
        #expect(mixed.stderr.contains("an earlier run wrote this folder with a different --threshold (0.05)"), "\(mixed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: overlay)) == Data([1, 2, 3]))
        let skipping = try runMaskscope(["segment", folder + "/nested", "--model", model, "--task", "all", "--out", out + "/more", "--skip-existing"])
        #expect(skipping.status == 0, "\(skipping.stderr)")
        let forced = try runMaskscope(["segment", folder + "/a.png", "--model", model, "--task", "all", "--out", out + "/photos", "--overwrite"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: overlay)).count > 100)
    }

    @Test("shards are disjoint and together cover every image")
    func shards() throws {
        let folder = try folderWithImages(corrupt: false)
        let root = (folder as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: root) }
        var written: [Set<String>] = []
        for k in 1...2 {
            let out = root + "/shard\(k)"
            let result = try runMaskscope(["segment", folder, "--model", model, "--task", "semantic", "--out", out, "--shard", "\(k)/2"])
            #expect(result.status == 0, "\(result.stderr)")
            let files = FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".semantic.png") } ?? []
            written.append(Set(files))
        }
        #expect(written[0].isDisjoint(with: written[1]))
        #expect(written[0].union(written[1]) == ["photos/a.semantic.png", "photos/nested/b.semantic.png", "photos/c.semantic.png"])
        let bad = try runMaskscope(["segment", folder, "--model", model, "--out", root + "/x", "--shard", "3/2"])
        #expect(bad.status == 2)
    }

    @Test("segment runs on a detectron2 checkpoint file, which has no config files for the manifest's fingerprint")
    func detectron2Checkpoint() throws {
        let out = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try runMaskscope(["segment", fixturePath("reference/images/scene-120x90.png"), "--model", fixturePath("detectron2/tiny-w7.pkl"),
                                       "--task", "semantic", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/scene-120x90.semantic.png"))
        #expect(FileManager.default.fileExists(atPath: out + "/maskscope-manifest.shard-0001-of-0001.json"))
    }

    /// A tiny detectron2 config for detectron2/tiny-w7.pkl (small test size so the forward pass is quick).
    func tinyYAML(in directory: String, name: String = "tiny.yaml", extra: String = "") throws -> String {
        let yaml = directory + "/" + name
        try ("INPUT:\n  FORMAT: \"RGB\"\n  MIN_SIZE_TEST: 64\n  MAX_SIZE_TEST: 96\nMODEL:\n  MASK_FORMER:\n    NUM_OBJECT_QUERIES: 12\n    TEST:\n" + extra)
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        return yaml
    }

    @Test("resuming with another --preprocess or --detectron2-config is refused with one line, as another model is")
    func preprocessingInFingerprint() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let image = fixturePath("reference/images/scene-120x90.png")
        let out = root + "/out"
        let first = try runMaskscope(["segment", image, "--model", model, "--task", "semantic", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        let other = try runMaskscope(["segment", image, "--model", model, "--task", "semantic", "--out", out, "--skip-existing",
                                      "--preprocess", "transformers4-pil"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("an earlier run wrote this folder with a different --preprocess (transformers5-torchvision "), "\(other.stderr)")
        #expect(other.stderr.split(separator: "\n").count == 1, "\(other.stderr)")
        // The default named explicitly is the same preprocessing.
        let same = try runMaskscope(["segment", image, "--model", model, "--task", "semantic", "--out", out, "--skip-existing",
                                     "--preprocess", "transformers5-torchvision"])
        #expect(same.status == 0, "\(same.stderr)")

        // detectron2: a config whose settings differ (here only a threshold, with --threshold given so
        // only the config differs) is refused; the same settings from another path are not.
        let pkl = fixturePath("detectron2/tiny-w7.pkl")
        let yaml = try tinyYAML(in: root)
        let d2 = root + "/d2"
        let base = ["segment", image, "--model", pkl, "--task", "semantic", "--threshold", "0.5", "--overlap-threshold", "0.8", "--out", d2]
        let configured = try runMaskscope(base + ["--detectron2-config", yaml])
        #expect(configured.status == 0, "\(configured.stderr)")
        let changed = try tinyYAML(in: root, name: "changed.yaml", extra: "      OBJECT_MASK_THRESHOLD: 0.25\n")
        let refused = try runMaskscope(base + ["--detectron2-config", changed, "--skip-existing"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("a different --detectron2-config ("), "\(refused.stderr)")
        #expect(!refused.stderr.contains("--preprocess ("), "\(refused.stderr)")
        let copy = try tinyYAML(in: root, name: "copy.yaml")
        let moved = try runMaskscope(base + ["--detectron2-config", copy, "--skip-existing"])
        #expect(moved.status == 0, "\(moved.stderr)")
    }

    @Test("a --detectron2-config's thresholds and output switches are segment's defaults; flags given win")
    func detectron2ConfigDefaults() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let image = fixturePath("reference/images/scene-120x90.png")
        let pkl = fixturePath("detectron2/tiny-w7.pkl")
        let yaml = try tinyYAML(in: root, extra: "      OBJECT_MASK_THRESHOLD: 0.25\n      OVERLAP_THRESHOLD: 0.125\n"
                                    + "      SEMANTIC_ON: False\n      INSTANCE_ON: True\n      PANOPTIC_ON: False\n")
        func manifest(_ out: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/maskscope-manifest.shard-0001-of-0001.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require(json["provenance"] as? [String: Any])
        }
        let fromConfig = try runMaskscope(["segment", image, "--model", pkl, "--detectron2-config", yaml, "--out", root + "/a"])
        #expect(fromConfig.status == 0, "\(fromConfig.stderr)")
        #expect(fromConfig.stderr.contains("--threshold 0.25 (OBJECT_MASK_THRESHOLD of \(yaml)), --overlap-threshold 0.125 (OVERLAP_THRESHOLD of \(yaml)), "
                                           + "segment --task instance (INSTANCE_ON of \(yaml))"), "\(fromConfig.stderr)")
        let a = try manifest(root + "/a")
        #expect(a["threshold"] as? Double == 0.25 && a["overlapThreshold"] as? Double == 0.125 && a["task"] as? String == "instance", "\(a)")
        #expect(FileManager.default.fileExists(atPath: root + "/a/scene-120x90.instances.json"))
        #expect(!FileManager.default.fileExists(atPath: root + "/a/scene-120x90.panoptic.png"))

        let given = try runMaskscope(["segment", image, "--model", pkl, "--detectron2-config", yaml, "--out", root + "/b",
                                      "--threshold", "0.5", "--task", "semantic"])
        #expect(given.status == 0, "\(given.stderr)")
        #expect(given.stderr.contains("--threshold 0.5 (given), --overlap-threshold 0.125 (OVERLAP_THRESHOLD of \(yaml)), segment --task semantic (given)"),
                "\(given.stderr)")
        let b = try manifest(root + "/b")
        #expect(b["threshold"] as? Double == 0.5 && b["overlapThreshold"] as? Double == 0.125 && b["task"] as? String == "semantic", "\(b)")

        // Without a config: transformers' defaults, panoptic.
        let plain = try runMaskscope(["segment", image, "--model", pkl, "--out", root + "/c", "--task", "semantic"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let c = try manifest(root + "/c")
        #expect(c["threshold"] as? Double == 0.5 && c["overlapThreshold"] as? Double == 0.8, "\(c)")

        // eval takes the thresholds too and says so (this model's numbered labels then match no category).
        let folder = fixturePath("eval")
        let evaluated = try runMaskscope(["eval", "--model", pkl, "--detectron2-config", yaml, "--overlap-threshold", "0.75",
                                          "--images", folder + "/gt", "--panoptic-json", folder + "/gt/panoptic.json",
                                          "--panoptic-dir", folder + "/gt/panoptic"])
        #expect(evaluated.stderr.contains("note: --threshold 0.25 (OBJECT_MASK_THRESHOLD of \(yaml)), --overlap-threshold 0.75 (given)"),
                "\(evaluated.stderr)")

        // inspect says where each default comes from.
        let inspected = try runMaskscope(["inspect", pkl, "--detectron2-config", yaml])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        #expect(inspected.stdout.contains("post-processing   defaults --threshold 0.25 (OBJECT_MASK_THRESHOLD of \(yaml)), "
                                          + "--overlap-threshold 0.125 (OVERLAP_THRESHOLD of \(yaml)), segment --task instance (INSTANCE_ON of \(yaml)); flags given win"),
                "\(inspected.stdout)")
    }
}
