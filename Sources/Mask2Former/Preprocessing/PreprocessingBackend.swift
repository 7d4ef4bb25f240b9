// Which reference implementation of preprocessing maskscope reproduces (`--preprocess`).

/// The reference pipelines differ in the output-size rule, the resize kernel and the float steps of
/// normalising; each case reproduces one of them exactly (see ImageProcessor.swift).
public enum PreprocessingBackend: String, Sendable, CaseIterable {
    /// transformers 5.x `Mask2FormerImageProcessor` (TorchvisionBackend), what a user of the current
    /// transformers release with torch and torchvision installed gets: `get_size_with_aspect_ratio`,
    /// torchvision's uint8 antialiased bilinear resize, then (x − 255·mean) / (255·std) in f32.
    case transformers5Torchvision = "transformers5-torchvision"
    /// transformers 5.x `Mask2FormerImageProcessorPil` (what users without torchvision get) with
    /// Pillow 13.0: `get_size_with_aspect_ratio`, Pillow 13's bilinear resize (vertical pass first on
    /// images whose height shrinks most), rescale in f64, normalise in f32.
    case transformers5PIL = "transformers5-pil"
    /// transformers 4.57 slow `Mask2FormerImageProcessor` with Pillow 11.3 (12.x resizes the same):
    /// `get_resize_output_image_size`, Pillow's bilinear resize, rescale in f64, normalise in f32.
    case transformers4PIL = "transformers4-pil"
    /// detectron2's test-time input (DefaultPredictor + MaskFormer.forward): ResizeShortestEdge with
    /// `int(x + 0.5)` rounding and Pillow's bilinear resize, (x − mean) / std on 0–255 in f32, then
    /// zero padding to a multiple of the size divisibility (ImageList.from_tensors).
    case detectron2

    /// What a transformers-layout checkpoint gets without `--preprocess`.
    public static let transformersDefault = PreprocessingBackend.transformers5Torchvision

    /// One line for `inspect`.
    public var summary: String {
        switch self {
        case .transformers5Torchvision:
            "transformers 5.x Mask2FormerImageProcessor, torchvision backend (torchvision's antialiased bilinear resize)"
        case .transformers5PIL:
            "transformers 5.x Mask2FormerImageProcessorPil, PIL backend (Pillow 13.0 bilinear resize)"
        case .transformers4PIL:
            "transformers 4.57 Mask2FormerImageProcessor, PIL path (Pillow 11.3 bilinear resize)"
        case .detectron2:
            "detectron2 (ResizeShortestEdge with Pillow bilinear, normalise on 0–255, zero padding)"
        }
    }
}
