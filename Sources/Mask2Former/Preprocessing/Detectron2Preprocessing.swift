// detectron2's test-time input for Mask2Former: RGB on 0–255, (x − mean) / std with Mask2Former's
// configs' values, ResizeShortestEdge to the dataset's test size (INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST of
// the official configs' base files), and the batch padded to a multiple of 32 (size_divisibility).

public struct Detectron2Preprocessing: Sendable, Equatable {
    /// MODEL.PIXEL_MEAN / PIXEL_STD of Mask2Former's Base-*.yaml (RGB, 0–255) and SIZE_DIVISIBILITY.
    public var pixelMean: [Float] = [123.675, 116.28, 103.53]
    public var pixelStd: [Float] = [58.395, 57.12, 57.375]
    public var sizeDivisibility = 32

    /// INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST of the base config of each dataset (configs/<dataset>/…/Base-*.yaml).
    static let testSizes: [String: (shortest: Int, longest: Int)] = [
        "coco-panoptic": (800, 1333), "coco-instance": (800, 1333),
        "ade20k-150": (512, 2048), "cityscapes-19": (1024, 2048), "cityscapes-instance": (1024, 2048),
        "mapillary-vistas-65": (2048, 2048),
    ]

    public var shortestEdge: Int
    public var longestEdge: Int
    /// Where the sizes come from, for `inspect`.
    public var source: String

    public init(dataset: String?) {
        if let dataset, let sizes = Self.testSizes[dataset] {
            (shortestEdge, longestEdge) = sizes
            source = "detectron2 test defaults for \(dataset)"
        } else {
            (shortestEdge, longestEdge) = (800, 1333)
            source = "detectron2's defaults (the class count names no known dataset)"
        }
    }

    /// The settings ImageProcessor's detectron2 backend runs: ResizeShortestEdge(shortest, longest)
    /// with `int(x + 0.5)`, Pillow bilinear, (x − mean) / std on 0–255 in f32 (no rescale), and zero
    /// padding to a multiple of 32 after normalising (ImageList.from_tensors).
    public var processorConfig: ImageProcessorConfig {
        ImageProcessorConfig(
            doResize: true, size: .shortestEdge(shortest: shortestEdge, longest: longestEdge), sizeDivisor: sizeDivisibility,
            doRescale: false, rescaleFactor: 1, doNormalize: true,
            imageMean: pixelMean, imageStd: pixelStd, backend: .detectron2)
    }

    /// One line for `inspect`.
    public var summary: String {
        "pixel mean \(pixelMean) / std \(pixelStd) (RGB, 0–255), ResizeShortestEdge \(shortestEdge) (max \(longestEdge)), pad to a multiple of \(sizeDivisibility) (\(source))"
    }
}
