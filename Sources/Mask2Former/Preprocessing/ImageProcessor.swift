// Port of transformers Mask2FormerImageProcessor (slow PIL path, 4.57): resize with Pillow's
// bilinear filter on 8-bit RGB, rescale, normalise. A single image needs no padding.

import Imaging
import TensorCore

public struct ImageProcessor: Sendable {
    public let config: ImageProcessorConfig

    public init(config: ImageProcessorConfig) {
        self.config = config
    }

    /// The model input size for an image of `height × width`
    /// (`get_mask2former_resize_output_image_size`, then the size divisor stretches up).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard config.doResize else { return (height, width) }
        var (outHeight, outWidth): (Int, Int)
        switch config.size {
        case .fixed(let h, let w):
            (outHeight, outWidth) = (h, w)
        case .shortestEdge(let shortest, let longest):
            // image_transforms.get_resize_output_image_size with default_to_square = False.
            let (short, long) = width <= height ? (width, height) : (height, width)
            var newShort = shortest
            var newLong = Int(Double(shortest * long) / Double(short))
            if newLong > longest {
                newShort = Int(Double(longest * newShort) / Double(newLong))
                newLong = longest
            }
            (outHeight, outWidth) = width <= height ? (newLong, newShort) : (newShort, newLong)
        }
        if config.sizeDivisor > 0 {
            let d = config.sizeDivisor
            outHeight = (outHeight + d - 1) / d * d
            outWidth = (outWidth + d - 1) / d * d
        }
        return (max(outHeight, 1), max(outWidth, 1))
    }

    /// `image` → `pixel_values [3, H, W]`, equal to the reference processor's output.
    public func preprocess(_ image: RGBImage) -> Tensor {
        let size = outputSize(height: image.height, width: image.width)
        let resized = (size.height == image.height && size.width == image.width)
            ? image : pillowBilinearResize(image, width: size.width, height: size.height)
        let plane = resized.width * resized.height
        let factor = config.doRescale ? config.rescaleFactor : 1
        return Tensor(shape: [3, resized.height, resized.width]) { out in
            resized.pixels.withUnsafeBufferPointer { pixels in
                for c in 0..<3 {
                    let mean = config.doNormalize ? config.imageMean[c] : 0
                    let std = config.doNormalize ? config.imageStd[c] : 1
                    let destination = out.baseAddress! + c * plane
                    for i in 0..<plane {
                        // Rescale in float64 then cast (numpy), normalise in f32.
                        let rescaled = Float(Double(pixels[3 * i + c]) * factor)
                        destination[i] = config.doNormalize ? (rescaled - mean) / std : rescaled
                    }
                }
            }
        }
    }
}
