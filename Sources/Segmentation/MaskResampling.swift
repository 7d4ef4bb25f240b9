// Shared steps of the three post-processors: the 384×384 logits transformers works at, walking a
// large target in row blocks, and argmax over channels (class probabilities: QueryReadouts).

import Mask2Former
import TensorCore

/// The size results come out at: the caller's target (normally the original image), else 384×384.
public struct OutputSize: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public init(height: Int, width: Int) { self.height = height; self.width = width }
    public static let reference = OutputSize(height: PostProcessingOptions.referenceSide, width: PostProcessingOptions.referenceSide)
}

/// The mask logits post-processing starts from: resized to 384×384 for `.via384` (transformers),
/// untouched for `.direct`; with the padding cropped off first when the input was padded (detectron2).
func sourceLogits(_ prediction: LayerPrediction, mode: MaskResize) -> Tensor {
    let side = PostProcessingOptions.referenceSide
    let logits = imageLogits(prediction)
    return mode == .via384 ? resizeBilinear(logits, height: side, width: side) : logits
}

/// The mask logits of the image's region: for a padded input, upsampled to the input and cropped
/// (`InputPadding.croppedLogits`); otherwise the model's `[Q, H/4, W/4]` as they are.
func imageLogits(_ prediction: LayerPrediction) -> Tensor {
    guard let padding = prediction.padding else { return prediction.maskLogits }
    return padding.croppedLogits(prediction.maskLogits)
}

/// The logits a post-processor resizes to `size` from, and whether it resizes logits (`.direct`: the
/// image's region, one resize) or starts at 384×384 (transformers; the caller's `reference` when it
/// keeps them). Without a target size results stay at 384×384, so nothing is direct.
func resizeStart(_ prediction: LayerPrediction, maskResize: MaskResize, size: OutputSize?,
                 reference: Tensor?) -> (logits: Tensor, direct: Bool) {
    let direct = maskResize == .direct && size != nil
    return (direct ? imageLogits(prediction) : reference ?? sourceLogits(prediction, mode: .via384), direct)
}

/// The 384×384 logits `[Q, 384, 384]` `.via384` post-processing starts from, for a caller that
/// post-processes one prediction many times (the explorer's live thresholds) and keeps them.
public func referenceLogits(_ prediction: LayerPrediction) -> Tensor {
    sourceLogits(prediction, mode: .via384)
}

/// Calls `body` with consecutive row ranges covering `0..<height`, each small enough that
/// `channels · rows · width` floats stay around a few MB.
func forEachRowBlock(height: Int, width: Int, channels: Int, _ body: (Range<Int>) -> Void) {
    let rowsPerBlock = max(1, min(height, (1 << 21) / max(1, channels * width)))
    var start = 0
    while start < height {
        let end = min(height, start + rowsPerBlock)
        body(start..<end)
        start = end
    }
}

/// For `scores [C, N]`, the first channel with the largest value at each of the N positions.
func argmaxOverChannels(_ scores: Tensor, into output: UnsafeMutablePointer<Int32>) {
    let channels = scores.shape[0], count = scores.count / max(1, channels)
    scores.withUnsafeBufferPointer { sp in
        let out = SendablePointer(output)
        parallelFor(count, minimumChunk: 4096) { range in
            for i in range {
                var best: Int32 = 0
                var bestValue = sp[i]
                for c in 1..<max(1, channels) where sp[c * count + i] > bestValue {
                    bestValue = sp[c * count + i]
                    best = Int32(c)
                }
                out.pointer[i] = best
            }
        }
    }
}
