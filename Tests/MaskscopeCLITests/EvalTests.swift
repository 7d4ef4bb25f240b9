// `maskscope eval` against the reference metrics (panopticapi PQ, detectron2-style mIoU, pycocotools
// mask AP) on the same deliberately damaged predictions (Tools/reference/make_eval_fixtures.py).

import Foundation
import TestSupport
import Testing

@Suite("maskscope eval")
struct EvalTests {
    @Test("every figure equals the reference implementations to 1e-4")
    func matchesReference() throws {
        let folder = fixturePath("eval")
        let out = try scratchDirectory() + "/metrics.json"
        let result = try runMaskscope(["eval", "--panoptic-json", folder + "/gt/panoptic.json", "--panoptic-dir", folder + "/gt/panoptic",
                                       "--predictions", folder + "/pred", "--json", out])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try loadJSONObject(out)
        let reference = try loadJSONObject(folder + "/reference.json")

        func expectEqual(_ mine: Double?, _ theirs: Double?, _ what: String) {
            guard let mine, let theirs else { Issue.record("\(what): missing (ours \(String(describing: mine)), reference \(String(describing: theirs)))"); return }
            #expect(abs(mine - theirs) <= 1e-4, "\(what): ours \(mine), reference \(theirs)")
        }
        // Ours are percentages; the reference's are fractions.
        for group in ["all", "things", "stuff"] {
            for metric in ["pq", "sq", "rq"] {
                expectEqual(number(ours, ["panoptic", group, metric]).map { $0 / 100 }, number(reference, ["panoptic", group, metric]), "\(group) \(metric)")
            }
        }
        expectEqual(number(ours, ["semantic", "miou"]).map { $0 / 100 }, number(reference, ["semantic", "miou"]), "mIoU")
        expectEqual(number(ours, ["semantic", "pixel_accuracy"]).map { $0 / 100 }, number(reference, ["semantic", "pixel_accuracy"]), "pixel accuracy")
        for (mine, theirs) in [("ap", "AP"), ("ap50", "AP50"), ("ap75", "AP75"), ("ap_small", "APs"), ("ap_medium", "APm")] {
            expectEqual(number(ours, ["mask_ap", mine]).map { $0 / 100 }, number(reference, ["instance", theirs]), mine)
        }
        let classes = try #require(ours["per_class"] as? [[String: Any]])
        for entry in classes {
            let name = entry["name"] as! String
            for metric in ["pq", "sq", "rq"] {
                expectEqual((entry[metric] as? NSNumber).map { $0.doubleValue / 100 }, number(reference, ["panoptic", "per_class", name, metric]), "\(name) \(metric)")
            }
            expectEqual((entry["iou"] as? NSNumber).map { $0.doubleValue / 100 }, number(reference, ["semantic", "per_class_iou", name]), "\(name) IoU")
            if entry["isthing"] as? Bool == true {
                expectEqual((entry["ap"] as? NSNumber).map { $0.doubleValue / 100 }, number(reference, ["instance", "per_class_AP", name]), "\(name) AP")
            }
        }
        // The figures must not be degenerate, or the comparison proves little.
        #expect((number(reference, ["panoptic", "all", "pq"]) ?? 0) > 0.1 && (number(reference, ["instance", "AP"]) ?? 0) > 0.05)
    }

    @Test("per_image: one entry per image; an image's figures equal the dataset's when it is evaluated alone")
    func perImage() throws {
        let folder = fixturePath("eval")
        let scratch = try scratchDirectory()
        let arguments = ["eval", "--panoptic-json", folder + "/gt/panoptic.json", "--panoptic-dir", folder + "/gt/panoptic", "--predictions", folder + "/pred"]
        let all = try runMaskscope(arguments + ["--json", scratch + "/all.json"])
        let first = try runMaskscope(arguments + ["--json", scratch + "/first.json", "--limit", "1"])
        #expect(all.status == 0 && first.status == 0, "\(all.stderr)\(first.stderr)")
        let perImage = try #require(try loadJSONObject(scratch + "/all.json")["per_image"] as? [String: [String: Any]])
        #expect(perImage.keys.sorted() == ["test-000000", "test-000001", "test-000002", "test-000003"])
        let alone = try loadJSONObject(scratch + "/first.json")
        let entry = try #require(perImage["test-000000"])
        for metric in ["pq", "sq", "rq"] {
            let mine = (entry[metric] as? NSNumber)?.doubleValue, dataset = number(alone, ["panoptic", "all", metric])
            #expect(mine != nil && dataset != nil && abs(mine! - dataset!) < 1e-9, "\(metric): per image \(String(describing: mine)), alone \(String(describing: dataset))")
        }
        // The damaged predictions make errors of every kind somewhere, and counts are whole numbers.
        let counts = perImage.values.map { ($0["tp"] as? Int ?? -1, $0["fp"] as? Int ?? -1, $0["fn"] as? Int ?? -1) }
        #expect(counts.allSatisfy { $0.0 >= 0 && $0.1 >= 0 && $0.2 >= 0 })
        #expect(counts.map(\.0).reduce(0, +) > 0 && counts.map(\.1).reduce(0, +) > 0 && counts.map(\.2).reduce(0, +) > 0)
    }
}
