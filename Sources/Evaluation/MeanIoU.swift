// Semantic mean IoU from a confusion matrix accumulated over the dataset (detectron2's SemSegEvaluator:
// IoU = TP / (GT + predicted − TP) per class, averaged over the classes present in the ground truth;
// ground-truth pixels without a class are ignored).

public struct ConfusionMatrix: Sendable {
    public let classes: Int
    /// `counts[gt * classes + predicted]`.
    public private(set) var counts: [Int]

    public init(classes: Int) {
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    /// Labels outside 0..<classes in the ground truth (VOID) are skipped.
    public mutating func add(groundTruth: [Int32], prediction: [Int32]) {
        precondition(groundTruth.count == prediction.count, "semantic maps differ in size")
        for i in groundTruth.indices {
            let g = Int(groundTruth[i]), p = Int(prediction[i])
            guard g >= 0, g < classes, p >= 0, p < classes else { continue }
            counts[g * classes + p] += 1
        }
    }

    /// Per-class IoU (nil where the class never occurs in the ground truth) and their mean.
    public func intersectionOverUnion() -> (mean: Double, perClass: [Double?], pixelAccuracy: Double) {
        var perClass: [Double?] = []
        var correct = 0, total = 0
        for c in 0..<classes {
            let tp = counts[c * classes + c]
            let gt = (0..<classes).reduce(0) { $0 + counts[c * classes + $1] }
            let predicted = (0..<classes).reduce(0) { $0 + counts[$1 * classes + c] }
            correct += tp; total += gt
            perClass.append(gt > 0 ? Double(tp) / Double(gt + predicted - tp) : nil)
        }
        let present = perClass.compactMap { $0 }
        return (present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count), perClass,
                total == 0 ? 0 : Double(correct) / Double(total))
    }
}
