// The padding detectron2's preprocessing adds is found in the pixel values and recorded on every
// layer's prediction by the forward pass (post-processing crops it: Detectron2PaddingCropTests).

import Imaging
import Mask2Former
import TensorCore
import TestSupport
import Testing

@Suite("Input padding")
struct InputPaddingTests {
    /// The detectron2 backend at a small test size: 45×59 → 90×118, padded to 96×128.
    func smallDetectron2Input() throws -> Tensor {
        var settings = Detectron2Preprocessing(dataset: nil)
        (settings.shortestEdge, settings.longestEdge) = (90, 200)
        let pixels = (0..<(45 * 59 * 3)).map { UInt8(($0 * 37) % 256) }
        return ImageProcessor(config: settings.processorConfig).preprocess(try RGBImage(width: 59, height: 45, pixels: pixels))
    }

    @Test("the detectron2 backend's zero padding is found exactly; an unpadded input has none")
    func detect() throws {
        let pixels = try smallDetectron2Input()
        #expect(pixels.shape == [3, 96, 128])
        #expect(InputPadding.detect(in: pixels, divisor: 32) == InputPadding(paddedHeight: 96, paddedWidth: 128, imageHeight: 90, imageWidth: 118))
        #expect(InputPadding.detect(in: Tensor(shape: [3, 64, 64], repeating: 0.25), divisor: 32) == nil)
        // Never more than divisor − 1 rows: an all-zero tensor is not "all padding".
        let zeros = InputPadding.detect(in: Tensor(shape: [3, 64, 64], repeating: 0), divisor: 32)
        #expect(zeros?.imageHeight == 33 && zeros?.imageWidth == 33)
    }

    @Test("a detectron2 checkpoint's forward pass records the padding on every layer; a transformers one does not")
    func forwardRecordsPadding() throws {
        let pixels = try smallDetectron2Input()
        let detectron2 = try Mask2FormerModel(model: fixturePath("detectron2/tiny-w7.pkl")).forward(pixels)
        let expected = InputPadding(paddedHeight: 96, paddedWidth: 128, imageHeight: 90, imageWidth: 118)
        #expect(detectron2.padding == expected)
        #expect(detectron2.layers.allSatisfy { $0.padding == expected })
        let transformers = try loadFixtureModel("tiny-w7").forward(pixels)
        #expect(transformers.padding == nil)
    }
}
