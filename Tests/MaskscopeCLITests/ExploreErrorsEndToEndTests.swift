// The errors view (7) in the real program: on a sample scene with its ground truth, the header's PQ,
// SQ, RQ and TP/FP/FN are exactly `maskscope eval --json`'s per_image figures for that image, and
// after `T` steps exactly eval's at that --threshold; view 8 shows the layer grid.

import Foundation
import TestSupport
import Testing

@Suite("maskscope explore: ground truth and errors in tmux", .serialized)
struct ExploreErrorsEndToEndTests {
    static let samples = repositoryRoot + "/SampleImages/shapes"

    /// eval's per-image figures for the sample scenes, with the shipped model.
    func evalPerImage(_ options: [String] = []) throws -> [String: [String: Any]] {
        let scratch = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try runMaskscope(["eval", "--panoptic-json", Self.samples + "/panoptic.json", "--panoptic-dir", Self.samples + "/panoptic",
                                       "--images", Self.samples, "--json", scratch + "/eval.json"] + options)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try loadJSONObject(scratch + "/eval.json")["per_image"] as? [String: [String: Any]])
    }

    /// "PQ 61.2 SQ 80.1 RQ 76.4 · TP 5 FP 2 FN 1" as eval's figures would be printed.
    func header(_ entry: [String: Any]) -> String {
        func number(_ key: String) -> Double { (entry[key] as? NSNumber)?.doubleValue ?? .nan }
        return String(format: "PQ %.1f SQ %.1f RQ %.1f", number("pq"), number("sq"), number("rq"))
            + " · TP \(entry["tp"] as? Int ?? -1) FP \(entry["fp"] as? Int ?? -1) FN \(entry["fn"] as? Int ?? -1)"
    }

    @Test("--panoptic-json/--panoptic-dir: view 7 on a scene with errors shows eval's PQ, SQ, RQ and TP/FP/FN; 6 lists the truth")
    func errorsViewMatchesEval() throws {
        let perImage = try evalPerImage()
        #expect(perImage.count == 6)
        // A scene the model gets partly wrong, so the counts say something.
        let scene = try #require(perImage.keys.sorted().first { (perImage[$0]?["fp"] as? Int ?? 0) + (perImage[$0]?["fn"] as? Int ?? 0) > 0 }
                                 ?? perImage.keys.sorted().first)
        let expected = header(try #require(perImage[scene]))
        let command = "env TERM=xterm-256color COLORTERM=truecolor LC_ALL=C.UTF-8 \(maskscopeExecutable()) explore "
            + "\(Self.samples)/\(scene).png --panoptic-json \(Self.samples)/panoptic.json --panoptic-dir \(Self.samples)/panoptic"
        let session = try TmuxSession(command: command)
        _ = try session.waitFor("the first result", seconds: 60) { $0.contains("panoptic ·") && $0.contains("segment") }
        try session.send("7")
        let screen = try session.waitFor("the errors view") { $0.contains(" errors ·") && $0.contains("PQ ") }
        #expect(screen.contains(expected), "expected '\(expected)' (eval --json per_image[\(scene)]):\n\(screen)")
        #expect(screen.contains("TP ") && screen.contains("partner"))
        try session.send("6")
        let truth = try session.waitFor("the ground-truth view") { $0.contains(" ground truth ·") }
        #expect(truth.contains("gt segment") && truth.contains("sky"), "\(truth)")

        // T nine times: score threshold 0.95, results and errors recomputed from the cached logits, the
        // same figures eval reports at --threshold 0.95 (which must differ, or the check proves nothing).
        let strict = header(try #require(try evalPerImage(["--threshold", "0.95"])[scene]))
        #expect(strict != expected, "the scene's figures must change at 0.95")
        try session.send("7")
        for _ in 0..<9 { try session.send("T") }
        let raised = try session.waitFor("the errors view at score 0.95") { $0.contains("score 0.95") && $0.contains(" errors ·") }
        #expect(raised.contains(strict), "expected '\(strict)' (eval --threshold 0.95):\n\(raised)")
        try session.send("t")
        _ = try session.waitFor("score 0.90") { $0.contains("score 0.90 mask 0.50 overlap 0.80") }

        // View 8: the grid of queries × layers, with each layer's class in the list.
        try session.send("8")
        let grid = try session.waitFor("the layer grid") { $0.contains(" layers ·") }
        #expect(grid.contains("L0  L1") && grid.contains("Enter opens it in view 5"), "\(grid)")
        try session.send("q")
        #expect(session.waitForExit(), "q quits")
    }

    @Test("maskscope alone opens the sample scenes with their ground truth: view 7 shows the first scene's eval figures")
    func noArgumentsHaveGroundTruth() throws {
        let expected = header(try #require(try evalPerImage()["sample-000001"]))
        let command = "cd \(NSTemporaryDirectory()) && env TERM=xterm-256color COLORTERM=truecolor LC_ALL=C.UTF-8 \(maskscopeExecutable())"
        let session = try TmuxSession(command: command)
        _ = try session.waitFor("the first sample scene's result", seconds: 60) { $0.contains("panoptic ·") && $0.contains("image 1/6") }
        try session.send("7")
        let screen = try session.waitFor("the errors view") { $0.contains(" errors ·") && $0.contains("PQ ") }
        #expect(screen.contains(expected) && screen.contains("sample-000001.png"), "expected '\(expected)':\n\(screen)")
        try session.send("q")
        #expect(session.waitForExit(), "q quits")
    }
}
