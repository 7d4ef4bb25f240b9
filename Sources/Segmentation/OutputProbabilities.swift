// The per-query mask probabilities at the output size, computed once for a caller that
// post-processes one prediction many times (the explorer's live thresholds), and the pixel vote
// panoptic post-processing runs on them. See Docs/ARCHITECTURE.md (post-processing).

import Mask2Former
import TensorCore

/// `[Q, height, width]` mask probabilities of every query at `size` (384×384 when nil): the same
/// resize and sigmoid `panopticSegmentation` applies to its kept queries. Both work plane by plane,
/// so a plane does not depend on which other queries are kept and the results are bit-identical.
/// Memory: Q·H·W floats (100 queries at 384×384: 59 MB), one image's, kept while it is stepped.
/// `reference`: the prediction's `referenceLogits` when the caller has them (`.via384`).
public func outputProbabilities(_ prediction: LayerPrediction, size: OutputSize?, maskResize: MaskResize,
                                reference: Tensor? = nil) -> Tensor {
    let output = size ?? .reference
    let start = resizeStart(prediction, maskResize: maskResize, size: size, reference: reference)
    let direct = start.direct
    var source = start.logits
    if !direct { source.applySigmoid() }   // transformers resizes probabilities; `.direct` resizes logits
    var probabilities = resizeBilinear(source, height: output.height, width: output.width, rows: 0..<output.height)
    if direct { probabilities.applySigmoid() }
    return probabilities
}

/// The pixel vote on probabilities `[C, N]` (channel k: kept query k): each channel weighted by
/// `weights[k]`, the owner of each pixel is the first channel with the largest weighted value (as
/// `argmaxOverChannels`), and `area[k]` counts channel k's weighted values ≥ `maskThreshold`.
/// `channels` picks the planes of `probabilities` to use, in order. Queries in the
/// outer loop, pixels in the inner one (contiguous, vectorisable), pixel ranges over the cores.
func scoreWeightedVote(_ probabilities: Tensor, channels: [Int], weights: [Float], maskThreshold: Float,
                       owner: UnsafeMutablePointer<Int32>) -> [Int] {
    let count = probabilities.shape.dropFirst().reduce(1, *)
    let kept = channels.count
    guard kept > 0, count > 0 else { return [Int](repeating: 0, count: kept) }
    let chunk = 16_384
    let chunks = (count + chunk - 1) / chunk
    var areas = [Int](repeating: 0, count: chunks * kept)
    var best = [Float](repeating: 0, count: count)
    probabilities.withUnsafeBufferPointer { pp in
        areas.withUnsafeMutableBufferPointer { ap in
            best.withUnsafeMutableBufferPointer { bp in
                let areaOut = SendablePointer(ap.baseAddress!), bestOut = SendablePointer(bp.baseAddress!)
                let ownerOut = SendablePointer(owner)
                parallelFor(chunks) { range in
                    for c in range {
                        let start = c * chunk, n = min(count, start + chunk) - start
                        let bestRow = bestOut.pointer + start, ownerRow = ownerOut.pointer + start
                        for k in 0..<kept {
                            let row = pp.baseAddress! + channels[k] * count + start
                            let weight = weights[k]
                            var area = 0
                            if k == 0 {
                                for i in 0..<n {
                                    let v = row[i] * weight
                                    area += v >= maskThreshold ? 1 : 0
                                    bestRow[i] = v
                                    ownerRow[i] = 0
                                }
                            } else {
                                let index = Int32(k)
                                for i in 0..<n {
                                    let v = row[i] * weight
                                    area += v >= maskThreshold ? 1 : 0
                                    let wins = v > bestRow[i]
                                    bestRow[i] = wins ? v : bestRow[i]
                                    ownerRow[i] = wins ? index : ownerRow[i]
                                }
                            }
                            areaOut.pointer[c * kept + k] = area
                        }
                    }
                }
            }
        }
    }
    var total = [Int](repeating: 0, count: kept)
    for c in 0..<chunks { for k in 0..<kept { total[k] += areas[c * kept + k] } }
    return total
}
