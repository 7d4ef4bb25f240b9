// The post-processing defaults a `--detectron2-config` sets (MODEL.MASK_FORMER.TEST.*), used by
// segment and eval where the command line gives no value of its own; `inspect` reports them.

import Mask2Former

struct Detectron2Defaults {
    let file: Detectron2ConfigFile

    var fileName: String { file.files.first ?? "--detectron2-config" }

    /// segment's task from SEMANTIC_ON / INSTANCE_ON / PANOPTIC_ON: the one that is on, else `all`
    /// (segment has no two-task choice; `all` includes every task switched on). Nil when none is on.
    var task: SegmentationTask? {
        let on: [SegmentationTask] = [(SegmentationTask.semantic, file.semanticOn), (.instance, file.instanceOn), (.panoptic, file.panopticOn)]
            .filter(\.1).map(\.0)
        if on.isEmpty { return nil }
        return on.count == 1 ? on[0] : .all
    }

    /// The switches that chose `task`, as the YAML names them.
    var taskSource: String {
        [("SEMANTIC_ON", file.semanticOn), ("INSTANCE_ON", file.instanceOn), ("PANOPTIC_ON", file.panopticOn)]
            .filter(\.1).map(\.0).joined(separator: ", ")
    }

    /// One line per default, saying where each value comes from (inspect; segment's and eval's notes).
    func describe(threshold: Double?, overlapThreshold: Double?, task: SegmentationTask?) -> [String] {
        var lines: [String] = []
        lines.append(threshold.map { "--threshold \($0) (given)" }
            ?? "--threshold \(file.objectMaskThreshold) (OBJECT_MASK_THRESHOLD of \(fileName))")
        lines.append(overlapThreshold.map { "--overlap-threshold \($0) (given)" }
            ?? "--overlap-threshold \(file.overlapThreshold) (OVERLAP_THRESHOLD of \(fileName))")
        if let given = task {
            lines.append("segment --task \(given.rawValue) (given)")
        } else if let chosen = self.task {
            lines.append("segment --task \(chosen.rawValue) (\(taskSource) of \(fileName))")
        } else {
            lines.append("segment --task \(SegmentationTask.panoptic.rawValue) (maskscope's default: \(fileName) switches no output on)")
        }
        return lines
    }
}
