// Port of transformers Mask2FormerImageProcessor (5.x torchvision backend; 4.57 slow PIL path) and of
// detectron2's test-time input for MaskFormer: resize, rescale, normalise, and for detectron2 zero
// padding to the size divisibility. `config.backend` chooses which (PreprocessingBackend.swift).

import Imaging
import TensorCore

public struct ImageProcessor: Sendable {
    public let config: ImageProcessorConfig

    public init(config: ImageProcessorConfig) {
        self.config = config
    }

    /// The model input size for an image of `height × width`: the resized size, then rounded up to
    /// the size divisor (transformers stretches to it, detectron2 pads to it).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        var (outHeight, outWidth) = resizedSize(height: height, width: width)
        // Without resizing transformers keeps the image's size; detectron2 pads whatever it gets.
        if config.sizeDivisor > 0 && (config.doResize || config.backend == .detectron2) {
            outHeight = roundUp(outHeight, to: config.sizeDivisor)
            outWidth = roundUp(outWidth, to: config.sizeDivisor)
        }
        return (max(outHeight, 1), max(outWidth, 1))
    }

    /// The size the image is resized to. For transformers it includes the size divisor (the resize
    /// stretches to the multiple); for detectron2 it is the region of the input the image fills, the
    /// rest being padding that post-processing crops off (`sem_seg_postprocess`).
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard config.doResize else { return (height, width) }
        var (outHeight, outWidth): (Int, Int)
        switch config.size {
        case .fixed(let h, let w):
            (outHeight, outWidth) = (h, w)
        case .shortestEdge(let shortest, let longest):
            switch config.backend {
            case .transformers4PIL: (outHeight, outWidth) = resizeOutputImageSize(height, width, shortest, longest)
            case .transformers5Torchvision, .transformers5PIL: (outHeight, outWidth) = sizeWithAspectRatio(height, width, shortest, longest)
            case .detectron2: (outHeight, outWidth) = resizeShortestEdge(height, width, shortest, longest)
            }
        }
        if config.backend != .detectron2 && config.sizeDivisor > 0 {
            outHeight = roundUp(outHeight, to: config.sizeDivisor)
            outWidth = roundUp(outWidth, to: config.sizeDivisor)
        }
        return (max(outHeight, 1), max(outWidth, 1))
    }

    /// transformers 4.57 `image_transforms.get_resize_output_image_size` with default_to_square = False.
    private func resizeOutputImageSize(_ height: Int, _ width: Int, _ shortest: Int, _ longest: Int) -> (Int, Int) {
        let (short, long) = width <= height ? (max(width, 1), height) : (max(height, 1), width)
        var newShort = shortest
        var newLong = scaled(shortest, by: long, over: short)
        if newLong > longest {
            newShort = scaled(longest, by: newShort, over: max(newLong, 1))
            newLong = longest
        }
        return width <= height ? (newLong, newShort) : (newShort, newLong)
    }

    /// transformers 5.x `image_transforms.get_size_with_aspect_ratio(image_size, size, max_size)`:
    /// the short side is capped as `round(max_size · short / long)` (Python's round, half to even)
    /// and the long side computed from the unrounded value.
    private func sizeWithAspectRatio(_ height: Int, _ width: Int, _ shortest: Int, _ longest: Int) -> (Int, Int) {
        let (height, width) = (max(height, 1), max(width, 1))
        var size = shortest
        var rawSize: Double?
        let shortSide = Double(min(height, width)), longSide = Double(max(height, width))
        if longSide / shortSide * Double(size) > Double(longest) {
            let raw = Double(longest) * shortSide / longSide
            rawSize = raw
            size = Int(raw.rounded(.toNearestOrEven))
        }
        if (height <= width && height == size) || (width <= height && width == size) {
            return (height, width)
        }
        let base = rawSize ?? Double(size)
        if width < height {
            return (truncated(base * Double(height) / Double(width)), size)
        }
        return (size, truncated(base * Double(width) / Double(height)))
    }

    /// detectron2 `ResizeShortestEdge.get_output_shape` (data/transforms/augmentation_impl.py): scale
    /// the short side to `shortest`, then the long side down to `longest` if above, `int(x + 0.5)` each.
    private func resizeShortestEdge(_ height: Int, _ width: Int, _ shortest: Int, _ longest: Int) -> (Int, Int) {
        let (h, w) = (Double(max(height, 1)), Double(max(width, 1)))
        let size = Double(shortest)
        let scale = size / min(h, w)
        var (newHeight, newWidth) = h < w ? (size, scale * w) : (scale * h, size)
        if max(newHeight, newWidth) > Double(longest) {
            let capped = Double(longest) * 1.0 / max(newHeight, newWidth)
            newHeight *= capped
            newWidth *= capped
        }
        return (truncated(newHeight + 0.5), truncated(newWidth + 0.5))
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
        return truncated((overflow ? Double(a) * Double(b) : Double(product)) / Double(c))
    }

    /// Python's `int(x)` for a non-negative float, saturating far above any side.
    private func truncated(_ x: Double) -> Int {
        x < Double(Int.max / 2) ? Int(x) : Int.max / 2
    }

    /// `⌈x / d⌉ · d`, saturating instead of overflowing.
    private func roundUp(_ x: Int, to d: Int) -> Int {
        let (value, overflow) = (x / d + (x % d == 0 ? 0 : 1)).multipliedReportingOverflow(by: d)
        return overflow ? Int.max / 2 : value
    }

    /// `image` → `pixel_values [3, H, W]`, equal to the reference processor's output.
    public func preprocess(_ image: RGBImage) -> Tensor {
        let size = resizedSize(height: image.height, width: image.width)
        let padded = outputSize(height: image.height, width: image.width)
        let resized: RGBImage
        if size.height == image.height && size.width == image.width {
            resized = image
        } else if config.backend == .transformers5Torchvision {
            resized = torchBilinearAntialiasResize(image, width: size.width, height: size.height)
        } else if config.backend == .transformers5PIL {
            resized = pillow13BilinearResize(image, width: size.width, height: size.height)
        } else {
            resized = pillowBilinearResize(image, width: size.width, height: size.height)
        }
        let (outHeight, outWidth) = config.backend == .detectron2 ? padded : (resized.height, resized.width)
        let plane = outWidth * outHeight
        let normalize = normalization()
        return Tensor(shape: [3, outHeight, outWidth]) { out in
            // detectron2 pads with zeros after normalising (ImageList.from_tensors, pad_value 0).
            if outHeight != resized.height || outWidth != resized.width { out.update(repeating: 0) }
            resized.pixels.withUnsafeBufferPointer { pixels in
                for c in 0..<3 {
                    let destination = out.baseAddress! + c * plane
                    for y in 0..<resized.height {
                        for x in 0..<resized.width {
                            let i = y * resized.width + x
                            destination[y * outWidth + x] = normalize(c, pixels[3 * i + c])
                        }
                    }
                }
            }
        }
    }

    /// One 8-bit sample of channel c → its float input value, in the reference's float steps.
    private func normalization() -> (Int, UInt8) -> Float {
        let config = config
        switch config.backend {
        case .transformers5Torchvision where config.doRescale && config.doNormalize:
            // TorchvisionBackend._fuse_mean_std_and_rescale_factor: f32 mean and std times 1/rescale_factor
            // (a f32 tensor times a Python float), then tvF.normalize: (x − mean) / std in f32.
            let scale = Float(1.0 / config.rescaleFactor)
            let mean = config.imageMean.map { $0 * scale }, std = config.imageStd.map { $0 * scale }
            return { c, v in (Float(v) - mean[c]) / std[c] }
        case .transformers5Torchvision:
            // Unfused: `image * scale` on the f32 image, then normalise (if asked) in f32.
            let factor = config.doRescale ? Float(config.rescaleFactor) : 1
            return { c, v in
                let rescaled = config.doRescale ? Float(v) * factor : Float(v)
                return config.doNormalize ? (rescaled - config.imageMean[c]) / config.imageStd[c] : rescaled
            }
        case .transformers5PIL, .transformers4PIL, .detectron2:
            // numpy: rescale in float64 then cast to f32, normalise in f32. detectron2's configs have
            // doRescale false and mean/std on 0–255: (x − mean) / std in f32, as MaskFormer.forward.
            let factor = config.doRescale ? config.rescaleFactor : 1
            return { c, v in
                let rescaled = Float(Double(v) * factor)
                return config.doNormalize ? (rescaled - config.imageMean[c]) / config.imageStd[c] : rescaled
            }
        }
    }
}
