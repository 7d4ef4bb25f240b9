// Semantic mean IoU from a confusion matrix accumulated over the dataset, as detectron2's
// SemSegEvaluator: IoU = TP / (GT + predicted − TP) per class, averaged over the classes whose union
// is not empty. Ground-truth VOID pixels are skipped; a prediction without a class (VOID) still
// counts against the ground-truth class it covers.

public struct ConfusionMatrix: Sendable {
    public let classes: Int
    /// `counts[gt * (classes + 1) + predicted]`; column `classes` collects VOID predictions.
    public private(set) var counts: [Int]

    public init(classes: Int) {
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * (classes + 1))
    }

    /// Labels outside 0..<classes: skipped in the ground truth, VOID in the prediction.
    public mutating func add(groundTruth: [Int32], prediction: [Int32]) {
        precondition(groundTruth.count == prediction.count, "semantic maps differ in size")
        for i in groundTruth.indices {
            let g = Int(groundTruth[i]), p = Int(prediction[i])
            guard g >= 0, g < classes else { continue }
            counts[g * (classes + 1) + (p >= 0 && p < classes ? p : classes)] += 1
        }
    }

    /// Per-class IoU (nil where neither ground truth nor prediction has the class) and their mean.
    public func intersectionOverUnion() -> (mean: Double, perClass: [Double?], pixelAccuracy: Double) {
        let width = classes + 1
        var perClass: [Double?] = []
        var correct = 0, total = 0
        for c in 0..<classes {
            let tp = counts[c * width + c]
            let gt = (0..<width).reduce(0) { $0 + counts[c * width + $1] }
            let predicted = (0..<classes).reduce(0) { $0 + counts[$1 * width + c] }
            correct += tp; total += gt
            let union = gt + predicted - tp
            perClass.append(union > 0 ? Double(tp) / Double(union) : nil)
        }
        let present = perClass.compactMap { $0 }
        return (present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count), perClass,
                total == 0 ? 0 : Double(correct) / Double(total))
    }
}
