// Hostile and mistaken input to the CLI: FIFOs and devices where files are expected, outputs that cannot
// be written, absurd options, inconsistent datasets. Each gets one `maskscope:` line on stderr and
// status 1 (2 for usage), in bounded time, and never a trap.

import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One line on stderr, starting with `maskscope:`, containing every one of `parts`; the status; no trap.
func expectOneLineError(_ result: CommandResult?, status: Int32, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else {
        Issue.record("hung: still running at the timeout", sourceLocation: sourceLocation)
        return
    }
    #expect(result.status == status, "status \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1 && lines[0].hasPrefix("maskscope: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    for part in parts { #expect(result.stderr.contains(part), "'\(part)' not in: \(result.stderr)", sourceLocation: sourceLocation) }
    for trap in ["Fatal error", "NSCocoaErrorDomain", "Error Domain", "UserInfo"] {
        #expect(!result.stderr.contains(trap), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    }
}

@Suite("hostile input")
struct HostileInputTests {
    let model = fixturePath("models/tiny-w7")
    let image = fixturePath("reference/images/scene-120x90.png")

    @Test("a FIFO as the image or as the weights is refused at once, never waited on")
    func fifos() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipe = directory + "/photo.png"
        #expect(mkfifo(pipe, 0o600) == 0)
        expectOneLineError(try runMaskscope(["predict", pipe, "--model", model], timeout: 30), status: 1, [pipe, "FIFO"])

        let folder = directory + "/model"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["config.json", "preprocessor_config.json"] {
            try FileManager.default.copyItem(atPath: model + "/" + file, toPath: folder + "/" + file)
        }
        #expect(mkfifo(folder + "/model.safetensors", 0o600) == 0)
        expectOneLineError(try runMaskscope(["predict", image, "--model", folder], timeout: 30), status: 1, ["model.safetensors", "FIFO"])
    }

    @Test("a FIFO in a folder given to segment fails that one entry; the other images are written")
    func fifoInFolder() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/photos"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: image, toPath: folder + "/a.png")
        #expect(mkfifo(folder + "/b.png", 0o600) == 0)
        let result = try #require(try runMaskscope(["segment", folder, "--model", model, "--out", directory + "/out"], timeout: 60))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("b.png: is a FIFO (named pipe), expected a regular file"), "\(result.stderr)")
        #expect(result.stderr.contains("done 1, failed 1"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory + "/out/photos/a.panoptic.png"))
    }

    @Test("an --out that is a file, lies under a file or is a device: one sentence naming it", arguments: ["file", "under-file", "/dev/null"])
    func unwritableOut(_ kind: String) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        FileManager.default.createFile(atPath: directory + "/file", contents: Data([1]))
        let out = kind == "file" ? directory + "/file" : kind == "under-file" ? directory + "/file/out" : kind
        let result = try runMaskscope(["segment", image, "--model", model, "--out", out], timeout: 60)
        expectOneLineError(result, status: 1, [kind == "/dev/null" ? "/dev/null" : directory + "/file", "not a folder"])
    }

    @Test("--save-logits never replaces a device, even with --overwrite")
    func deviceNotReplaced() throws {
        let result = try runMaskscope(["predict", image, "--model", model, "--save-logits", "/dev/null", "--overwrite"], timeout: 60)
        expectOneLineError(result, status: 1, ["/dev/null", "character device"])
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test("a processor that does not resize: an image too large for the memory limit is refused before the forward pass")
    func unresizedImageOverLimit() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/model"
        try FileManager.default.copyItem(atPath: model, toPath: folder)
        let path = folder + "/preprocessor_config.json"
        var processor = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        processor["do_resize"] = false
        try JSONSerialization.data(withJSONObject: processor).write(to: URL(fileURLWithPath: path))
        let photo = repositoryRoot + "/SampleImages/photos/coffee.png"
        // 600×400 needs ~22 MiB with this model; the small scene fits the same limit.
        expectOneLineError(try runMaskscope(["predict", photo, "--model", folder, "--memory-limit", "12M"], timeout: 60), status: 1,
                           ["600×400", "more than the memory limit of 12.0 MiB", "--memory-limit"])
        let fits = try #require(try runMaskscope(["predict", image, "--model", folder, "--memory-limit", "12M"], timeout: 60))
        #expect(fits.status == 0, "\(fits.stderr)")
    }

    @Test("absurd option values are usage errors", arguments: [
        ["predict", "IMAGE", "--top=-1"],
        ["segment", "IMAGE", "--out", "OUT", "--threshold=nan"],
        ["segment", "IMAGE", "--out", "OUT", "--threshold=-0.5"],
        ["segment", "IMAGE", "--out", "OUT", "--mask-threshold=2"],
        ["segment", "IMAGE", "--out", "OUT", "--overlap-threshold=inf"],
        ["eval", "--predictions", "PRED", "--panoptic-json", "GTJSON", "--panoptic-dir", "GTDIR", "--limit=-1"],
        ["eval", "--predictions", "PRED", "--panoptic-json", "GTJSON", "--panoptic-dir", "GTDIR", "--limit=0"],
    ])
    func absurdOptions(_ template: [String]) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = template.map { argument -> String in
            switch argument {
            case "IMAGE": return image
            case "OUT": return directory + "/out"
            case "PRED": return fixturePath("eval/pred")
            case "GTJSON": return fixturePath("eval/gt/panoptic.json")
            case "GTDIR": return fixturePath("eval/gt/panoptic")
            default: return argument
            }
        } + (template[0] == "eval" ? [] : ["--model", model])
        let option = template.last!.split(separator: "=")[0]
        expectOneLineError(try runMaskscope(arguments, timeout: 60), status: 2, [String(option)])
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"))
    }
}

@Suite("eval on inconsistent datasets")
struct InconsistentDatasetTests {
    /// A copy of the eval fixture (ground truth and predictions) that a test may damage.
    func copyOfEvalFixture() throws -> String {
        let directory = try scratchDirectory()
        for part in ["gt", "pred"] {
            try FileManager.default.copyItem(atPath: fixturePath("eval/" + part), toPath: directory + "/" + part)
        }
        return directory
    }

    func evaluate(_ directory: String) throws -> CommandResult? {
        try runMaskscope(["eval", "--predictions", directory + "/pred", "--panoptic-json", directory + "/gt/panoptic.json",
                          "--panoptic-dir", directory + "/gt/panoptic"], timeout: 60)
    }

    func editJSON(_ path: String, _ edit: (inout Any) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    @Test("the undamaged copy scores, so the failures below come from the damage")
    func baseline() throws {
        let directory = try copyOfEvalFixture()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try #require(try evaluate(directory))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("PQ"), "\(result.stdout)")
    }

    @Test("a predicted segment with a category the dataset lacks is an error naming the file")
    func unknownPredictedCategory() throws {
        let directory = try copyOfEvalFixture()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/pred/test-000001.panoptic.json"
        try editJSON(path) { object in
            var annotation = object as! [String: Any]
            var segments = annotation["segments_info"] as! [[String: Any]]
            segments[0]["category_id"] = 999
            annotation["segments_info"] = segments
            object = annotation
        }
        let result = try #require(try evaluate(directory))
        #expect(result.status == 1)
        #expect(result.stderr.contains("test-000001.panoptic.json") && result.stderr.contains("category_id 999"), "\(result.stderr)")
    }

    @Test("a ground-truth PNG segment missing from the JSON is an error naming the PNG")
    func truthSegmentNotListed() throws {
        let directory = try copyOfEvalFixture()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var removedFrom = ""
        try editJSON(directory + "/gt/panoptic.json") { object in
            var truth = object as! [String: Any]
            var annotations = truth["annotations"] as! [[String: Any]]
            var segments = annotations[0]["segments_info"] as! [[String: Any]]
            segments.removeLast()
            annotations[0]["segments_info"] = segments
            removedFrom = annotations[0]["file_name"] as! String
            truth["annotations"] = annotations
            object = truth
        }
        let result = try #require(try evaluate(directory))
        #expect(result.status == 1)
        #expect(result.stderr.contains(removedFrom) && result.stderr.contains("is not in the segments_info"), "\(result.stderr)")
    }

    @Test("instances with an unknown category are an error")
    func unknownInstanceCategory() throws {
        let directory = try copyOfEvalFixture()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/pred/test-000002.instances.json"
        try editJSON(path) { object in
            var results = object as! [[String: Any]]
            if results.isEmpty { return }
            results[0]["category_id"] = 4242
            object = results
        }
        let result = try #require(try evaluate(directory))
        #expect(result.status == 1)
        #expect(result.stderr.contains("test-000002.instances.json") && result.stderr.contains("4242"), "\(result.stderr)")
    }
}
