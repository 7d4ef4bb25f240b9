// Where the image lies in a zero-padded model input, so post-processing can crop the padding off
// (detectron2 pads to SIZE_DIVISIBILITY; Mask2Former's sem_seg_postprocess crops `[:img_h, :img_w]`).

import TensorCore

public struct InputPadding: Sendable, Equatable {
    /// The padded input (`pixel_values`) size.
    public var paddedHeight: Int
    public var paddedWidth: Int
    /// The resized image's size inside it, at the top-left (detectron2's `image_sizes`).
    public var imageHeight: Int
    public var imageWidth: Int

    public init(paddedHeight: Int, paddedWidth: Int, imageHeight: Int, imageWidth: Int) {
        self.paddedHeight = paddedHeight
        self.paddedWidth = paddedWidth
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
    }

    /// The padding of `pixelValues [3, H, W]` made by the detectron2 backend: the trailing rows and
    /// columns (fewer than `divisor`) that are exactly zero in all three channels. Read off the tensor
    /// so that every caller of `forward` (CLI, explorer) gets it without passing sizes along. Exact for
    /// detectron2's means (123.675, …): no 8-bit pixel normalises to 0.0; with integer means a border
    /// of pixels equal to the mean could be taken for padding, and cropping it changes nothing visible.
    /// Nil when nothing is padded.
    public static func detect(in pixelValues: Tensor, divisor: Int) -> InputPadding? {
        let height = pixelValues.shape[1], width = pixelValues.shape[2], plane = height * width
        guard divisor > 1 else { return nil }
        let result: InputPadding? = pixelValues.withUnsafeBufferPointer { p in
            func zeroRow(_ y: Int, columns: Int) -> Bool {
                for c in 0..<3 { for x in 0..<columns where p[c * plane + y * width + x] != 0 { return false } }
                return true
            }
            func zeroColumn(_ x: Int, rows: Int) -> Bool {
                for c in 0..<3 { for y in 0..<rows where p[c * plane + y * width + x] != 0 { return false } }
                return true
            }
            var imageHeight = height
            while imageHeight > 1 && height - imageHeight < divisor - 1 && zeroRow(imageHeight - 1, columns: width) { imageHeight -= 1 }
            var imageWidth = width
            while imageWidth > 1 && width - imageWidth < divisor - 1 && zeroColumn(imageWidth - 1, rows: imageHeight) { imageWidth -= 1 }
            guard imageHeight != height || imageWidth != width else { return nil }
            return InputPadding(paddedHeight: height, paddedWidth: width, imageHeight: imageHeight, imageWidth: imageWidth)
        }
        return result
    }

    /// detectron2's steps on `maskLogits [Q, h, w]` (at a stride of the padded input): bilinear to the
    /// padded size (`maskformer_model.py`'s F.interpolate to `images.tensor.shape[-2:]`), then
    /// `[:, :img_h, :img_w]` (`sem_seg_postprocess`). Only the kept rows are computed.
    public func croppedLogits(_ maskLogits: Tensor) -> Tensor {
        let queries = maskLogits.shape[0]
        let rows = resizeBilinear(maskLogits, height: paddedHeight, width: paddedWidth, rows: 0..<imageHeight)
        if imageWidth == paddedWidth { return rows }
        return Tensor(shape: [queries, imageHeight, imageWidth]) { out in
            rows.withUnsafeBufferPointer { r in
                for q in 0..<queries {
                    for y in 0..<imageHeight {
                        let from = (q * imageHeight + y) * paddedWidth, to = (q * imageHeight + y) * imageWidth
                        for x in 0..<imageWidth { out[to + x] = r[from + x] }
                    }
                }
            }
        }
    }
}
