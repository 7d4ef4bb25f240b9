// detectron2's test-time input for Mask2Former: RGB on 0–255, (x − mean) / std with Mask2Former's
// configs' values, ResizeShortestEdge to the dataset's test size (INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST of
// the official configs' base files), and the batch padded to a multiple of 32 (size_divisibility).

public struct Detectron2Preprocessing: Sendable, Equatable {
    public static let pixelMean: [Float] = [123.675, 116.28, 103.53]
    public static let pixelStd: [Float] = [58.395, 57.12, 57.375]
    public static let sizeDivisibility = 32

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

    /// What maskscope's image processor runs for it: the same normalisation (mean and std over 255 after
    /// rescaling by 1/255) and shortest-edge resize. It differs from detectron2 in two ways, both still to
    /// do: the output size is rounded as transformers rounds it, and the multiple of 32 is reached by
    /// stretching (size_divisor) where detectron2 pads with zeros after normalising.
    public var processorConfig: ImageProcessorConfig {
        ImageProcessorConfig(
            doResize: true, size: .shortestEdge(shortest: shortestEdge, longest: longestEdge), sizeDivisor: Self.sizeDivisibility,
            doRescale: true, rescaleFactor: 1.0 / 255.0, doNormalize: true,
            imageMean: Self.pixelMean.map { $0 / 255 }, imageStd: Self.pixelStd.map { $0 / 255 })
    }

    /// One line for `inspect`.
    public var summary: String {
        "pixel mean \(Self.pixelMean) / std \(Self.pixelStd) (RGB, 0–255), ResizeShortestEdge \(shortestEdge) (max \(longestEdge)), pad to a multiple of \(Self.sizeDivisibility) (\(source))"
    }
}
