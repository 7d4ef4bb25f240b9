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
}
