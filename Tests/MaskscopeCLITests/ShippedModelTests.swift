// The model and sample images that ship in the repository: found with no --model from a fresh
// checkout, equal to transformers on them (Tests/Fixtures/shapes-sample/transformers, written by
// Tools/shapes-world/make_samples.py --reference-model), and good enough to explore.

import Foundation
import Imaging
import Segmentation
import TestSupport
import Testing

@Suite("the shipped model")
struct ShippedModelTests {
    let scene = repositoryRoot + "/SampleImages/shapes/sample-000001.png"

    @Test("predict with no --model uses Models/shapes-swin and names what is in the scene")
    func predictWithoutModel() throws {
        let result = try runMaskscope(["predict", scene, "--top", "40"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Models/shapes-swin"), "\(result.stdout)")
        // Rows: "query  label  score  mask%". The scene (Tests/Fixtures/shapes-sample) holds sky, grass,
        // water, sand, discs and rings; no square, triangle or star.
        var confident: Set<String> = []
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, Int(fields[0]) != nil, let score = Double(fields[2]) else { continue }
            if score >= 0.5 { confident.insert(String(fields[1])) }
        }
        // Every class the scene holds, stuff and things, and nothing it does not hold.
        #expect(confident == ["sky", "grass", "water", "sand", "disc", "ring"], "confident labels: \(confident.sorted())")
    }

    @Test("without --model and away from the checkout, the error says what was looked for and what to do")
    func missingDefaultModel() throws {
        let folder = try scratchDirectory()
        let copy = folder + "/maskscope"
        try FileManager.default.copyItem(atPath: maskscopeExecutable(), toPath: copy)
        var environment = ProcessInfo.processInfo.environment
        environment["MASKSCOPE_MODEL"] = nil
        let result = try runMaskscope(["predict", scene], executable: copy, environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Models/shapes-swin") && result.stderr.contains("--model") && result.stderr.contains(folder), "\(result.stderr)")

        environment["MASKSCOPE_MODEL"] = folder + "/no-such-model"
        let chosen = try runMaskscope(["predict", scene], executable: copy, environment: environment)
        #expect(chosen.status == 1 && chosen.stderr.contains("no-such-model"), "\(chosen.stderr)")
    }
}

@Suite("the shipped model against transformers")
struct ShippedModelParityTests {
    let reference = fixturePath("shapes-sample/transformers")
    let stems = ["sample-000001", "sample-000004", "sample-000009", "sample-000012", "sample-000015", "sample-000021"]

    struct PanopticJSON: Decodable {
        struct Segment: Decodable { var id: Int; var category_id: Int; var area: Int; var score: Double? }
        var segments_info: [Segment]
    }
    struct InstanceResult: Decodable {
        struct RLE: Decodable { var size: [Int]; var counts: String }
        var category_id: Int; var score: Double; var segmentation: RLE
    }

    /// `maskscope segment SampleImages/shapes` with no --model, once for every test here.
    static let output: (folder: String, result: CommandResult) = {
        let out = (try! scratchDirectory()) + "/segment"
        let result = try! runMaskscope(["segment", repositoryRoot + "/SampleImages/shapes", "--task", "all", "--out", out])
        return (out + "/shapes", result)
    }()

    @Test("segment on the sample scenes: semantic maps equal to transformers' pixel for pixel")
    func semantic() throws {
        #expect(Self.output.result.status == 0, "\(Self.output.result.stderr)")
        // SampleImages/shapes/panoptic/ is the ground truth (panoptic.json beside it), not six more images.
        #expect(!FileManager.default.fileExists(atPath: Self.output.folder + "/panoptic"), "the ground-truth PNGs were segmented as images")
        for stem in stems {
            let ours = try loadLabelPNG(path: "\(Self.output.folder)/\(stem).semantic.png")
            let theirs = try loadLabelPNG(path: "\(reference)/\(stem).semantic.png")
            #expect(ours.width == theirs.width && ours.height == theirs.height)
            let differing = zip(ours.values, theirs.values).filter { $0 != $1 }.count
            #expect(differing == 0, "\(stem): \(differing) pixels differ")
        }
    }

    @Test("panoptic maps equal up to segment numbering, with the same classes and scores")
    func panoptic() throws {
        for stem in stems {
            let ours = panopticIDs(try loadImage(path: "\(Self.output.folder)/\(stem).panoptic.png"))
            let theirs = panopticIDs(try loadImage(path: "\(reference)/\(stem).panoptic.png"))
            #expect(ours.count == theirs.count)
            // A bijection between our ids and theirs that maps every pixel.
            var forward: [Int32: Int32] = [:], backward: [Int32: Int32] = [:]
            var consistent = true
            for (a, b) in zip(ours, theirs) {
                if forward[a, default: b] != b || backward[b, default: a] != a { consistent = false; break }
                forward[a] = b; backward[b] = a
            }
            #expect(consistent, "\(stem): the panoptic maps differ beyond renumbering")
            let oursJSON = try JSONDecoder().decode(PanopticJSON.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.output.folder)/\(stem).panoptic.json")))
            let theirsJSON = try JSONDecoder().decode(PanopticJSON.self, from: Data(contentsOf: URL(fileURLWithPath: "\(reference)/\(stem).panoptic.json")))
            let theirsByID = Dictionary(uniqueKeysWithValues: theirsJSON.segments_info.map { ($0.id, $0) })
            #expect(oursJSON.segments_info.count == theirsJSON.segments_info.count, "\(stem): segment counts")
            for segment in oursJSON.segments_info {
                guard let mapped = forward[Int32(segment.id)], let other = theirsByID[Int(mapped)] else {
                    Issue.record("\(stem): segment \(segment.id) has no counterpart"); continue
                }
                #expect(segment.category_id == other.category_id && segment.area == other.area, "\(stem): segment \(segment.id)")
                #expect(abs((segment.score ?? 0) - (other.score ?? 0)) < 1e-4, "\(stem): segment \(segment.id) score")
            }
            #expect(theirsJSON.segments_info.count >= 3, "\(stem): a trained model finds at least the scene's stuff")
        }
    }

    @Test("instances: the same (class, score) list and identical COCO RLE masks")
    func instances() throws {
        for stem in stems {
            let ours = try JSONDecoder().decode([InstanceResult].self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.output.folder)/\(stem).instances.json")))
            let theirs = try JSONDecoder().decode([InstanceResult].self, from: Data(contentsOf: URL(fileURLWithPath: "\(reference)/\(stem).instances.json")))
            #expect(ours.count == theirs.count, "\(stem): \(ours.count) instances, transformers \(theirs.count)")
            let sortedOurs = ours.sorted { $0.score > $1.score }, sortedTheirs = theirs.sorted { $0.score > $1.score }
            for (a, b) in zip(sortedOurs, sortedTheirs) {
                #expect(a.category_id == b.category_id && abs(a.score - b.score) < 1e-4, "\(stem): \(a.category_id) \(a.score) vs \(b.category_id) \(b.score)")
                #expect(a.segmentation.counts == b.segmentation.counts, "\(stem): RLE of a \(a.category_id)")
            }
        }
    }

    @Test("eval with the shipped model on the sample scenes' ground truth scores like a trained model")
    func metrics() throws {
        let folder = fixturePath("shapes-sample")
        let out = try scratchDirectory() + "/metrics.json"
        let result = try runMaskscope(["eval", "--panoptic-json", folder + "/panoptic.json", "--panoptic-dir", folder + "/panoptic",
                                       "--images", repositoryRoot + "/SampleImages/shapes", "--json", out])
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try loadJSONObject(out)
        let pq = number(figures, ["panoptic", "all", "pq"]) ?? 0
        let miou = number(figures, ["semantic", "miou"]) ?? 0
        // On the test split the model card reports PQ and mIoU; six scenes scatter around them.
        #expect(pq >= SampleSceneFloor.pq && miou >= SampleSceneFloor.miou, "PQ \(pq), mIoU \(miou)")
    }
}

/// What the shipped model must reach on the six sample scenes: a little under what the step-9329
/// model gets there (PQ 52.1, mIoU 72.5; test split: PQ 58.0, mIoU 72.5, MODEL_CARD.md), so a
/// regression in the model or in inference falls below. Raise them with a better model.
enum SampleSceneFloor {
    static let pq = 49.0
    static let miou = 69.0
}
