// Semantic, instance and panoptic results against transformers 4.57.6's post-processors on the same
// logits (Tests/Fixtures/postprocess, schema in FIXTURES.md). Semantic maps must be equal, instances
// equal as sets keyed by (query, label) with scores within 1e-4 and equal masks, panoptic maps equal
// up to a consistent renumbering of segment ids, with the same fate for every query. A differing
// pixel is accepted only where the reference recorded a float-noise near-tie there.

import Foundation
import Mask2Former
import Safetensors
import TensorCore
import TestSupport
import Testing
@testable import Segmentation

/// One set of logits and what transformers made of them.
struct PostProcessingCase: CustomTestStringConvertible, Sendable {
    var file: String          // postprocess/<file>.json / .safetensors
    var section: String?      // a section of a multi-run file (synthetic.json)
    var testDescription: String { section.map { "\(file).\($0)" } ?? file }

    static let all = [
        PostProcessingCase(file: "tiny-w7-scene-120x90"), PostProcessingCase(file: "tiny-w12-scene-200x150"),
        PostProcessingCase(file: "tiny-w7-random-77x101"), PostProcessingCase(file: "synthetic", section: "fates"),
    ]
    /// The real cases' random weights make one class win everywhere; "mixed" has several.
    static let semantic = all + [PostProcessingCase(file: "synthetic", section: "mixed")]

    struct Loaded {
        var json: [String: Any]
        var tensors: SafetensorsFile
        var prefix: String
        var prediction: LayerPrediction
        var targetSize: OutputSize?
    }

    func load() throws -> Loaded {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("postprocess/\(file).json")))
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        if let section { json = try #require(json[section] as? [String: Any]) }
        let tensors = try SafetensorsFile(path: fixturePath("postprocess/\(file).safetensors"))
        let inputs = try #require(json["inputs"] as? [String: String])
        // Real cases read the model's final logits from the stage fixtures; synthetic ones carry their own.
        let logits = section == nil ? try SafetensorsFile(path: fixturePath("reference/\(file).safetensors")) : tensors
        let prediction = LayerPrediction(classLogits: try logits.floatTensor(inputs["class_queries_logits"]!),
                                         maskLogits: try logits.floatTensor(inputs["masks_queries_logits"]!))
        let target = (json["target_size_hw"] as? [Int]).map { OutputSize(height: $0[0], width: $0[1]) }
        return Loaded(json: json, tensors: tensors, prefix: section.map { $0 + "." } ?? "", prediction: prediction, targetSize: target)
    }
}

func integers(_ file: SafetensorsFile, _ name: String) throws -> [Int32] { try file.integerValues(name).map { Int32($0) } }

@Suite("Post-processing parity with transformers")
struct PostProcessingParityTests {
    @Test("semantic maps are equal", arguments: PostProcessingCase.semantic)
    func semantic(_ testCase: PostProcessingCase) throws {
        let loaded = try testCase.load()
        let runs = try #require(loaded.json["semantic"] as? [String: Any])
        for run in runs.keys.sorted() {
            let size = run == "384" ? nil : loaded.targetSize
            let ours = semanticSegmentation(loaded.prediction, size: size)
            let expected = try integers(loaded.tensors, loaded.prefix + "semantic." + run)
            #expect(ours.values.count == expected.count)
            // Where the best two classes are within 1e-5, float noise may pick either.
            let marginName = loaded.prefix + "semantic.margin." + run
            let margins = loaded.tensors.entries[marginName] == nil ? nil : try loaded.tensors.floatTensor(marginName).scalars
            let differing = ours.values.indices.filter { ours.values[$0] != expected[$0] && (margins?[$0] ?? 1) >= 1e-5 }.count
            #expect(differing == 0, "\(testCase.testDescription) semantic.\(run): \(differing) pixels differ where the winner was clear")
            if testCase.section == "mixed" { #expect(Set(expected).count >= 3) }
        }
    }

    @Test("instances: same (query, label) set, scores within 1e-4, equal masks and pycocotools RLE", arguments: PostProcessingCase.all)
    func instance(_ testCase: PostProcessingCase) throws {
        let loaded = try testCase.load()
        let runs = try #require(loaded.json["instance"] as? [String: Any])
        for run in runs.keys.sorted() {
            let info = try #require(runs[run] as? [String: Any])
            let size = run == "384" ? nil : loaded.targetSize
            let options = PostProcessingOptions(threshold: try #require(info["threshold"] as? Double))
            let ours = instanceSegmentation(loaded.prediction, size: size, options: options)
            let reference = try #require(info["instances"] as? [[String: Any]])
            let masks = try loaded.tensors.integerValues(loaded.prefix + "instance.\(run).masks")
            let rles = info["rle"] as? [[String: Any]]
            #expect(ours.count == reference.count, "\(testCase.testDescription) instance.\(run): \(ours.count) vs \(reference.count)")

            // Pixels whose 384×384 logit is within float noise of 0 may flip; map them to this run's size.
            let logits = sourceLogits(loaded.prediction, mode: .via384)
            for (index, expected) in reference.enumerated() {
                let query = expected["query"] as! Int, label = expected["label_id"] as! Int
                guard let mine = ours.first(where: { $0.query == query && $0.label == label }) else {
                    Issue.record("\(testCase.testDescription) instance.\(run): missing (query \(query), label \(label))")
                    continue
                }
                #expect(abs(Double(mine.score) - (expected["score_raw"] as! Double)) <= 1e-4)
                let pixels = mine.mask.width * mine.mask.height
                let referenceBits = masks[(index * pixels)..<((index + 1) * pixels)].map { UInt8($0) }
                let noise = BinaryMask(width: 384, height: 384, bits: (0..<(384 * 384)).map { abs(logits.scalars[query * 384 * 384 + $0]) < 1e-4 ? 1 : 0 })
                let noiseHere = size == nil ? noise : resizeNearest(noise, height: mine.mask.height, width: mine.mask.width)
                let unexplained = (0..<pixels).filter { mine.mask.bits[$0] != referenceBits[$0] && noiseHere.bits[$0] == 0 }.count
                #expect(unexplained == 0, "\(testCase.testDescription) instance.\(run) query \(query): \(unexplained) mask pixels differ")
                if let rles {
                    // Our encoder on transformers' own mask must give pycocotools' exact string.
                    let expectedRLE = rles[index]
                    let referenceMask = BinaryMask(width: mine.mask.width, height: mine.mask.height, bits: Array(referenceBits))
                    #expect(cocoRLE(referenceMask).counts == expectedRLE["counts"] as? String)
                    #expect(cocoRLE(referenceMask).size == expectedRLE["size"] as? [Int])
                }
            }
        }
    }

    @Test("panoptic maps equal up to renumbering, same segments and query fates", arguments: PostProcessingCase.all)
    func panoptic(_ testCase: PostProcessingCase) throws {
        let loaded = try testCase.load()
        let runs = try #require(loaded.json["panoptic"] as? [String: Any])
        for run in runs.keys.sorted() {
            try checkPanopticRun(try #require(runs[run] as? [String: Any]), name: "\(testCase.testDescription) panoptic.\(run)",
                                 loaded: loaded, expectedTensor: nil)
        }
    }

    @Test("transformers' id-reuse quirk: we give the next segment a fresh id instead")
    func idReuseQuirk() throws {
        let loaded = try PostProcessingCase(file: "synthetic", section: "quirk").load()
        let run = try #require((loaded.json["runs"] as? [String: Any])?["target"] as? [String: Any])
        #expect(run["id_reuse_quirk"] as? Bool == true)
        // Against the fresh-id map the fixture derives from transformers' own segments.
        try checkPanopticRun(run, name: "quirk", loaded: loaded, expectedTensor: "quirk.panoptic.target.segmentation_fresh_ids")
        // And transformers' own map indeed puts two labels under one id, which ours never does.
        let theirs = try integers(loaded.tensors, "quirk.panoptic.target.segmentation")
        #expect(Set(theirs).count < 4)
    }

    func checkPanopticRun(_ info: [String: Any], name: String, loaded: PostProcessingCase.Loaded, expectedTensor: String?) throws {
        let size = (info["target_size_hw"] as? [Int]).map { OutputSize(height: $0[0], width: $0[1]) }
        let options = PostProcessingOptions(threshold: info["threshold"] as! Double, maskThreshold: info["mask_threshold"] as? Double ?? 0.5,
                                            overlapThreshold: info["overlap_mask_area_threshold"] as? Double ?? 0.8)
        let fuse = Set((info["label_ids_to_fuse"] as? [Int]) ?? [])
        let ours = panopticSegmentation(loaded.prediction, stuffLabels: fuse, size: size, options: options)
        let expected = try integers(loaded.tensors, expectedTensor ?? (info["tensor"] as! String))
        #expect(ours.map.values.count == expected.count, "\(name): size")

        // Consistent renumbering: each of our ids maps to one reference id and back. transformers' map
        // is 0 where no segment won and −1 everywhere when no query was kept; ours is 0 for both.
        var forward: [Int32: Int32] = [:], backward: [Int32: Int32] = [:]
        var differing = 0
        for (mine, theirs) in zip(ours.map.values, expected.map { max($0, 0) }) {
            if let known = forward[mine], known != theirs { differing += 1; continue }
            if let known = backward[theirs], known != mine { differing += 1; continue }
            forward[mine] = theirs; backward[theirs] = mine
        }
        let gapTensor = info["tensor_owner_gap"] as? String
        let allowed = gapTensor == nil ? (info["owner_pixels_gap_below_1e-6"] as? Int ?? 0) : 0
        let gaps = try gapTensor.map { try loaded.tensors.floatTensor($0).scalars }
        if let gaps {
            // Differences only where the winning query's margin is float noise.
            let unexplained = zip(zip(ours.map.values, expected.map { max($0, 0) }), gaps).filter { pair, gap in
                forward[pair.0] != pair.1 && gap >= 1e-6
            }.count
            #expect(unexplained == 0, "\(name): \(unexplained) pixels differ where the winner was clear")
        } else {
            #expect(differing <= allowed, "\(name): \(differing) pixels differ (near-ties recorded: \(allowed))")
        }

        // Every query's fate, as the fixture's instrumented copy of transformers' logic recorded it.
        let fateNames: [String: QueryFate] = ["kept": .kept, "merged": .merged, "no_object": .noObject,
                                              "below_threshold": .belowThreshold, "overlap_removed": .removedByOverlap]
        let fates = try #require(info["fates"] as? [[String: Any]])
        for fate in fates {
            let query = fate["query"] as! Int
            #expect(ours.queryFates[query] == fateNames[fate["fate"] as! String], "\(name): query \(query)")
            #expect(ours.queryLabels[query] == fate["label_id"] as! Int, "\(name): query \(query) label")
        }
        // Segments: one per distinct reference id, same label and (first) score. Against the
        // fresh-id map the segments are the fresh-id ones derived with it (FIXTURES.md, `quirk`).
        let infos = try #require(info[expectedTensor == nil ? "segments_info" : "segments_info_fresh_ids"] as? [[String: Any]])
        var firstByID: [Int32: [String: Any]] = [:]
        for entry in infos where firstByID[Int32(entry["id"] as! Int)] == nil { firstByID[Int32(entry["id"] as! Int)] = entry }
        #expect(ours.segments.count == firstByID.count, "\(name): segment count")
        for segment in ours.segments {
            guard let theirs = forward[segment.id].flatMap({ firstByID[$0] }) else {
                // A segment with no counterpart is a failure, unless every one of its pixels is a
                // near-tie the reference recorded (owner gap below 1e-6): then float noise moved it.
                let pixels = ours.map.values.indices.filter { ours.map.values[$0] == segment.id }
                let nearTie = gaps.map { gaps in !pixels.isEmpty && pixels.allSatisfy { gaps[$0] < 1e-6 } } ?? false
                #expect(nearTie, "\(name): segment \(segment.id) (label \(segment.label), \(pixels.count) pixels) has no counterpart in the reference")
                continue
            }
            #expect(segment.label == theirs["label_id"] as! Int, "\(name): segment \(segment.id) label")
            #expect(abs(rounded6(segment.score) - (theirs["score"] as! Double)) <= 1e-6, "\(name): segment \(segment.id) score")
        }
    }

    @Test("COCO RLE strings equal pycocotools' for hand-made masks")
    func runLengthEncoding() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("postprocess/rle.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let tensors = try SafetensorsFile(path: fixturePath("postprocess/rle.safetensors"))
        let cases = try #require(json["cases"] as? [[String: Any]])
        #expect(cases.count >= 8)
        for entry in cases {
            let shape = entry["shape_hw"] as! [Int]
            let bits = try tensors.integerValues(entry["tensor"] as! String).map { UInt8($0) }
            let mask = BinaryMask(width: shape[1], height: shape[0], bits: bits)
            let expected = entry["rle"] as! [String: Any]
            #expect(cocoRLE(mask).counts == expected["counts"] as? String, "\(entry["description"] ?? "")")
            #expect(runLengths(mask) == entry["uncompressed_counts"] as? [Int], "\(entry["description"] ?? "")")
            #expect(mask.area == entry["area"] as? Int)
        }
    }
}
