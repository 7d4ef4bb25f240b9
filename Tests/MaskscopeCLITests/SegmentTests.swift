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
}
