// Port of transformers Mask2FormerImageProcessor.post_process_semantic_segmentation: per pixel,
// Σ_q p(class | q) · p(pixel ∈ mask q), then the best class.

import Mask2Former
import TensorCore

/// The semantic map: one class id (0..<K) per pixel of `size` (384×384 when nil, as transformers).
/// `readouts`: the prediction's, when the caller has them already.
public func semanticSegmentation(_ prediction: LayerPrediction, readouts: QueryReadouts? = nil, size: OutputSize? = nil,
                                 options: PostProcessingOptions = PostProcessingOptions()) -> LabelMap {
    let output = size ?? .reference
    let readouts = readouts ?? QueryReadouts(prediction)
    let queries = readouts.queryCount, classes = readouts.classCount
    // [K, Q]: class probabilities with "no object" dropped after the softmax, transposed for the GEMM.
    var perQuery = readouts.probabilities
    perQuery = Tensor(shape: [queries, classes]) { out in
        for q in 0..<queries { for c in 0..<classes { out[q * classes + c] = perQuery.scalars[q * (classes + 1) + c] } }
    }
    let classByQuery = transposed(perQuery)
    var labels = [Int32](repeating: 0, count: output.height * output.width)

    if options.maskResize == .via384 || size == nil {
        // Scores at 384×384, then (bilinear, on the scores) to the output size, block by block.
        var probabilities = sourceLogits(prediction, mode: .via384)
        probabilities.applySigmoid()
        let side = PostProcessingOptions.referenceSide
        let scores = matmul(classByQuery, probabilities.reshaped([queries, side * side])).reshaped([classes, side, side])
        labels.withUnsafeMutableBufferPointer { lp in
            forEachRowBlock(height: output.height, width: output.width, channels: classes) { rows in
                let block = resizeBilinear(scores, height: output.height, width: output.width, rows: rows)
                argmaxOverChannels(block.reshaped([classes, rows.count * output.width]), into: lp.baseAddress! + rows.lowerBound * output.width)
            }
        }
    } else {
        // Direct: logits straight to the output size, then sigmoid and the sum over queries.
        labels.withUnsafeMutableBufferPointer { lp in
            forEachRowBlock(height: output.height, width: output.width, channels: max(queries, classes)) { rows in
                var probabilities = resizeBilinear(prediction.maskLogits, height: output.height, width: output.width, rows: rows)
                probabilities.applySigmoid()
                let scores = matmul(classByQuery, probabilities.reshaped([queries, rows.count * output.width]))
                argmaxOverChannels(scores, into: lp.baseAddress! + rows.lowerBound * output.width)
            }
        }
    }
    return LabelMap(width: output.width, height: output.height, values: labels)
}
