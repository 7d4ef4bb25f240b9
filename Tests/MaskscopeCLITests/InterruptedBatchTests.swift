// `maskscope segment` stopped at any moment — Ctrl-C, SIGTERM, SIGKILL, a full disk — leaves every image
// either complete or absent, no temporary files after the next run, and a rerun with --skip-existing
// that finishes the job.

import Foundation
import Imaging
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("interrupted batch runs", .serialized)
struct InterruptedBatchTests {
    static let suffixes = [".panoptic.png", ".panoptic.json", ".panoptic.overlay.png", ".semantic.png", ".semantic.color.png",
                           ".semantic.overlay.png", ".instances.json", ".instances.overlay.png"]

    /// A folder of `count` copies of a test scene: with the tiny test model a run takes a few seconds in a
    /// debug build (under a second in release), long enough to be interrupted.
    func sampleFolder(count: Int) throws -> (root: String, folder: String, stems: [String]) {
        let root = try scratchDirectory()
        let folder = root + "/scenes"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var stems: [String] = []
        for index in 0..<count {
            let name = String(format: "scene-%02d", index)
            try FileManager.default.copyItem(atPath: fixturePath("reference/images/scene-120x90.png"), toPath: folder + "/" + name + ".png")
            stems.append("scenes/" + name)
        }
        return (root, folder, stems)
    }

    func arguments(_ folder: String, out: String, _ extra: [String] = []) -> [String] {
        ["segment", folder, "--model", fixturePath("models/tiny-w7"), "--task", "all", "--out", out] + extra
    }

    /// Every image has all of its results, each readable, or none of them; no temporary file anywhere.
    /// Returns how many images are complete.
    @discardableResult
    func checkConsistent(out: String, stems: [String], allowTemporaries: Bool = false) throws -> Int {
        var complete = 0
        for stem in stems {
            let present = Self.suffixes.filter { FileManager.default.fileExists(atPath: out + "/" + stem + $0) }
            #expect(present.isEmpty || present.count == Self.suffixes.count, "\(stem): only \(present)")
            guard present.count == Self.suffixes.count else { continue }
            complete += 1
            for suffix in Self.suffixes {
                let path = out + "/" + stem + suffix
                if suffix.hasSuffix(".json") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) != nil, "\(path) is not JSON")
                } else if suffix == ".semantic.png" {
                    #expect((try? loadLabelPNG(path: path)) != nil, "\(path) does not decode")
                } else {
                    #expect((try? loadImage(path: path)) != nil, "\(path) does not decode")
                }
            }
        }
        if !allowTemporaries {
            let leftovers = (FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String } ?? []).filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        }
        return complete
    }

    @Test("Ctrl-C and SIGTERM: the current image is finished whole, the summary printed, status 128+signal; --skip-existing finishes",
          arguments: [SIGINT, SIGTERM])
    func politeSignal(_ signal: Int32) throws {
        let (root, folder, stems) = try sampleFolder(count: 16)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        let run = try RunningMaskscope(arguments(folder, out: out))
        // Interrupt once the first image is done, in the middle of the run.
        let started = run.waitUntil(timeout: 60) { run.stderr.contains("[1/\(stems.count)]") }
        #expect(started, "\(run.stderr)")
        run.send(signal)
        guard let result = run.wait(timeout: 60) else { Issue.record("did not stop after the signal"); return }
        #expect(result.status == 128 + signal, "\(result.stderr)")
        #expect(result.stderr.contains("stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM")"), "\(result.stderr)")
        #expect(result.stderr.contains("--skip-existing"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        let complete = try checkConsistent(out: out, stems: stems)
        #expect(complete >= 1 && complete < stems.count, "complete: \(complete)")

        let resumed = try #require(try runMaskscope(arguments(folder, out: out, ["--skip-existing"]), timeout: 300))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("skipped: results exist"))
        #expect(try checkConsistent(out: out, stems: stems) == stems.count)
    }

    @Test("SIGKILL at random moments, then --skip-existing: always completes, every output valid, no temporary files")
    func killedOutright() throws {
        let (root, folder, stems) = try sampleFolder(count: 12)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        var random = SeededRandom(seed: 12)
        for _ in 0..<6 {
            let run = try RunningMaskscope(arguments(folder, out: out, ["--skip-existing"]))
            usleep(UInt32(100_000 + random.next() % 1_500_000))
            run.send(SIGKILL)
            _ = run.wait(timeout: 30)
            // A kill may leave temporary files and at most one partial image, until the next run.
            try checkConsistent(out: out, stems: stems, allowTemporaries: true)
        }
        let resumed = try #require(try runMaskscope(arguments(folder, out: out, ["--skip-existing"]), timeout: 300))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try checkConsistent(out: out, stems: stems) == stems.count)
    }

    @Test("--skip-existing redoes an image with some results missing, and removes temporary files a killed run left")
    func partialImageRedone() throws {
        let (root, folder, stems) = try sampleFolder(count: 6)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        let first = try #require(try runMaskscope(arguments(folder, out: out), timeout: 300))
        #expect(first.status == 0, "\(first.stderr)")
        let partial = out + "/" + stems[2]
        try FileManager.default.removeItem(atPath: partial + ".semantic.overlay.png")
        let stale = [partial + ".panoptic.png.tmp-AbC123", out + "/" + stems[4] + ".instances.json.tmp-zzzzzz"]
        for path in stale { FileManager.default.createFile(atPath: path, contents: Data(count: 4096)) }
        let unrelated = out + "/notes.txt.tmp-AbC123"
        FileManager.default.createFile(atPath: unrelated, contents: Data([1]))

        let rerun = try #require(try runMaskscope(arguments(folder, out: out, ["--skip-existing"]), timeout: 300))
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("removed 2 temporary file(s)"), "\(rerun.stderr)")
        #expect(rerun.stderr.contains("redone: 1 of 8 results were missing"), "\(rerun.stderr)")
        #expect(FileManager.default.fileExists(atPath: unrelated), "a file that is not ours was removed")
        try FileManager.default.removeItem(atPath: unrelated)
        #expect(try checkConsistent(out: out, stems: stems) == stems.count)
    }

    @Test("a full disk: one clear line, the image rolled back, the run stopped, no temporary files")
    func diskFull() throws {
        let (root, folder, stems) = try sampleFolder(count: 6)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        // RLIMIT_FSIZE (bash's ulimit -f, in KiB) makes write(2) fail with EFBIG past 4 KiB per file:
        // the small results fit, the overlays do not, as on a disk that fills up mid-image.
        let result = try #require(try runMaskscope(arguments(folder, out: out), timeout: 300, shell: "ulimit -f 4; exec \"$0\" \"$@\""))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("File too large") && result.stderr.contains("stopped: the disk is full"), "\(result.stderr)")
        #expect(result.stderr.contains("done 0, failed 1"), "\(result.stderr)")
        #expect(try checkConsistent(out: out, stems: stems) == 0)
        let written = FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String }.filter { $0.contains(".") } ?? []
        #expect(written == ["maskscope-manifest.shard-0001-of-0001.json"], "left behind: \(written)")
        // The manifest records the failure (it is small enough to be written under the limit).
        let manifest = try String(contentsOfFile: out + "/maskscope-manifest.shard-0001-of-0001.json", encoding: .utf8)
        #expect(manifest.contains("\"failed\"") && manifest.contains("File too large"), "\(manifest)")
    }
}
