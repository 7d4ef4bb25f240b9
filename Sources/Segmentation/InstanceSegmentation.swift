// Port of transformers Mask2FormerImageProcessor.post_process_instance_segmentation: the Q best
// (query, class) pairs, each with its binary mask (logit > 0) and a score weighted by how confident
// the mask is inside itself.

import Mask2Former
import TensorCore

public struct InstancePrediction: Sendable, Equatable {
    public var query: Int
    public var label: Int
    /// Class probability × mask score, what the threshold applies to.
    public var score: Float
    public var classScore: Float
    /// Mean mask probability inside the binary mask.
    public var maskScore: Float
    public var mask: BinaryMask
}

/// Instances sorted by score (best first). Masks are at `size` (384×384 when nil).
/// `readouts`: the prediction's, when the caller has them already; `reference`: its `referenceLogits`,
/// when the caller keeps them across calls.
public func instanceSegmentation(_ prediction: LayerPrediction, readouts: QueryReadouts? = nil, size: OutputSize? = nil,
                                 options: PostProcessingOptions = PostProcessingOptions(), reference: Tensor? = nil) -> [InstancePrediction] {
    let readouts = readouts ?? QueryReadouts(prediction)
    let queries = readouts.queryCount, classes = readouts.classCount
    let probabilities = readouts.probabilities
    // Top Q of the Q·K (query, class) scores, flattened query-major as transformers does.
    var candidates: [(index: Int, score: Float)] = []
    candidates.reserveCapacity(queries * classes)
    for q in 0..<queries {
        for c in 0..<classes { candidates.append((q * classes + c, probabilities.scalars[q * (classes + 1) + c])) }
    }
    candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
    let top = candidates.prefix(queries)

    // Logits at the resolution binary masks and mask scores are taken at.
    let start = resizeStart(prediction, maskResize: options.maskResize, size: size, reference: reference)
    let direct = start.direct
    let logits = direct ? resizeBilinear(start.logits, height: size!.height, width: size!.width) : start.logits
    let height = logits.shape[1], width = logits.shape[2], pixels = height * width

    var maskScores: [Int: (bits: [UInt8], score: Float)] = [:]
    func binary(query q: Int) -> (bits: [UInt8], score: Float) {
        if let known = maskScores[q] { return known }
        var bits = [UInt8](repeating: 0, count: pixels)
        var inside = 0.0, count = 0
        logits.withUnsafeBufferPointer { lp in
            let base = lp.baseAddress! + q * pixels
            for i in 0..<pixels where base[i] > 0 {
                bits[i] = 1
                inside += Double(sigmoid(base[i]))
                count += 1
            }
        }
        let result = (bits, Float(inside) / (Float(count) + 1e-6))
        maskScores[q] = result
        return result
    }

    var instances: [InstancePrediction] = []
    for candidate in top {
        let q = candidate.index / classes, c = candidate.index % classes
        let (bits, maskScore) = binary(query: q)
        let score = candidate.score * maskScore
        var mask = BinaryMask(width: width, height: height, bits: bits)
        if let size, !direct {
            mask = resizeNearest(mask, height: size.height, width: size.width)
        }
        // Empty is judged after the resize, as transformers does.
        guard Double(score) >= options.threshold, mask.bits.contains(1) else { continue }   // `.item()` vs a Python float: double
        instances.append(InstancePrediction(query: q, label: c, score: score, classScore: candidate.score,
                                            maskScore: maskScore, mask: mask))
    }
    return instances.sorted { $0.score > $1.score || ($0.score == $1.score && $0.query < $1.query) }
}

/// Instances painted into one map (value = index in `instances`, −1 = none), lower scores first so
/// the best instance is on top where masks overlap. `instances` are best first, as returned above.
public func instanceLabelMap(_ instances: [InstancePrediction], width: Int, height: Int) -> LabelMap {
    var map = LabelMap(width: width, height: height, filledWith: -1)
    for (index, instance) in instances.enumerated().reversed() {
        for i in instance.mask.bits.indices where instance.mask.bits[i] != 0 { map.values[i] = Int32(index) }
    }
    return map
}

/// PyTorch's legacy `mode="nearest"`: source index `min(⌊dst · (in/out)⌋, in − 1)` with the scale in f32.
func resizeNearest(_ mask: BinaryMask, height: Int, width: Int) -> BinaryMask {
    func sources(input: Int, output: Int) -> [Int] {
        if input == output { return Array(0..<output) }
        if output == 2 * input { return (0..<output).map { $0 >> 1 } }
        let scale = Float(input) / Float(output)
        return (0..<output).map { min(Int((Float($0) * scale).rounded(.down)), input - 1) }
    }
    let rows = sources(input: mask.height, output: height), cols = sources(input: mask.width, output: width)
    var bits = [UInt8](repeating: 0, count: height * width)
    for y in 0..<height {
        let source = rows[y] * mask.width
        for x in 0..<width { bits[y * width + x] = mask.bits[source + cols[x]] }
    }
    return BinaryMask(width: width, height: height, bits: bits)
}
