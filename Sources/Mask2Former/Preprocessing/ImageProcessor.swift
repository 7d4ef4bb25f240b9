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
            let (short, long) = width <= height ? (max(width, 1), height) : (max(height, 1), width)
            var newShort = shortest
            var newLong = scaled(shortest, by: long, over: short)
            if newLong > longest {
                newShort = scaled(longest, by: newShort, over: max(newLong, 1))
                newLong = longest
            }
            (outHeight, outWidth) = width <= height ? (newLong, newShort) : (newShort, newLong)
        }
        if config.sizeDivisor > 0 {
            outHeight = roundUp(outHeight, to: config.sizeDivisor)
            outWidth = roundUp(outWidth, to: config.sizeDivisor)
        }
        return (max(outHeight, 1), max(outWidth, 1))
    }

    /// The largest input `outputSize` can return for any image (as short × long side), or nil when it
    /// keeps the image's size (no resizing). What the memory check at load uses.
    public var largestOutputSize: (height: Int, width: Int)? {
        guard config.doResize else { return nil }
        var (short, long): (Int, Int)
        switch config.size {
        case .fixed(let h, let w): (short, long) = (h, w)
        // Uncapped, the short side is `shortest` and the long one at most `longest`; capped, the long
        // side is `longest` and the short one smaller.
        case .shortestEdge(let shortest, let longest): (short, long) = (min(shortest, longest), longest)
        }
        if config.sizeDivisor > 0 {
            short = roundUp(short, to: config.sizeDivisor)
            long = roundUp(long, to: config.sizeDivisor)
        }
        return (max(short, 1), max(long, 1))
    }

    /// `int(a · b / c)` as Python computes it (exact product, then a float division), without overflow.
    private func scaled(_ a: Int, by b: Int, over c: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        let quotient = (overflow ? Double(a) * Double(b) : Double(product)) / Double(c)
        return quotient < Double(Int.max / 2) ? Int(quotient) : Int.max / 2
    }

    /// `⌈x / d⌉ · d`, saturating instead of overflowing.
    private func roundUp(_ x: Int, to d: Int) -> Int {
        let (value, overflow) = (x / d + (x % d == 0 ? 0 : 1)).multipliedReportingOverflow(by: d)
        return overflow ? Int.max / 2 : value
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
