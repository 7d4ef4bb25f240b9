// Each --preprocess backend against the pixel_values its reference pipeline made of the same images
// (Tests/Fixtures/preprocessing, written by Tools/reference/make_preprocessing_fixtures.py): odd sizes,
// grey, grey+alpha, RGBA, palette, 16-bit grey, JPEG; enlarged and shrunk.

import Foundation
import Imaging
import Mask2Former
import Safetensors
import TensorCore
import TestSupport
import Testing

@Suite("Preprocessing backends")
struct PreprocessingBackendTests {
    static let images = ["grey-50x30.png", "grey16-36x52.png", "greyalpha-41x29.png", "palette-40x26.png", "photo-70x50.jpg",
                         "rgb-23x37.png", "rgb-97x61.png", "rgba-33x45.png", "tall-31x101.png"]

    /// The detectron2 settings of the fixture (detectron2.json: MIN/MAX_SIZE_TEST 32/56, Mask2Former's mean/std, ×32).
    static var detectron2: ImageProcessorConfig {
        var settings = Detectron2Preprocessing(dataset: nil)
        settings.shortestEdge = 32
        settings.longestEdge = 56
        return settings.processorConfig
    }

    /// Every backend reproduces its reference's f32 steps, so the values are equal, not just close:
    /// the integer resizes are exact and the float operations are the reference's, in its order.
    @Test("pixel_values equal the reference's", arguments: [
        (PreprocessingBackend.transformers5Torchvision, "transformers5-torchvision"),
        (.transformers5PIL, "transformers5-pil"),
        (.transformers4PIL, "transformers4-pil"),
    ])
    func transformers(_ backend: PreprocessingBackend, _ file: String) throws {
        let reference = try SafetensorsFile(path: fixturePath("preprocessing/\(file).safetensors"))
        for configName in ["shortest32", "fixed32"] {
            var config = try ImageProcessorConfig.load(path: fixturePath("preprocessing/preprocessor_config.\(configName).json"))
            config.backend = backend
            for name in Self.images {
                let image = try loadImage(path: fixturePath("preprocessing/images/\(name)"))
                let pixels = ImageProcessor(config: config).preprocess(image)
                expectClose(pixels, try reference.floatTensor("\(name)/\(configName)"), stage: "\(file) \(name) \(configName)", tolerance: 0)
            }
        }
    }

    @Test("detectron2: ResizeShortestEdge rounding, normalising on 0–255, zero padding to ×32")
    func detectron2Pixels() throws {
        let reference = try SafetensorsFile(path: fixturePath("preprocessing/detectron2.safetensors"))
        let processor = ImageProcessor(config: Self.detectron2)
        for name in Self.images {
            let image = try loadImage(path: fixturePath("preprocessing/images/\(name)"))
            let pixels = processor.preprocess(image)
            expectClose(pixels, try reference.floatTensor("\(name)/detectron2"), stage: "detectron2 \(name)", tolerance: 0)
        }
    }

    // Sizes worked out by hand from each reference's rule, where they disagree.
    @Test("output size rules", arguments: [
        // Uncapped, both transformers rules give int(32·97/61) = 50.
        (PreprocessingBackend.transformers5Torchvision, 61, 97, 32, 56, 32, 50),
        (.transformers4PIL, 61, 97, 32, 56, 32, 50),
        // 101×31: 5.x caps the short side to round(56·31/101) = round(17.19) = 17 and takes the long
        // one from the unrounded 17.19: int(17.19·101/31) = 56; 4.57: int(32·101/31) = 104 > 56, so
        // short = int(56·32/104) = 17. 1000×10 (cap 800/1333): 5.x round(13.33) = 13, long 1333;
        // 4.57: int(800·1000/10) = 80000 > 1333 → short int(1333·800/80000) = 13.
        (.transformers5Torchvision, 101, 31, 32, 56, 56, 17),
        (.transformers4PIL, 101, 31, 32, 56, 56, 17),
        // Where they differ: 10×21 → 5.x caps the short side to round(56·10/21) = round(26.67) = 27
        // and int(26.67·21/10) = 56; 4.57 takes int(32·21/10) = 67 > 56 → short int(56·32/67) = 26.
        (.transformers5Torchvision, 10, 21, 32, 56, 27, 56),
        (.transformers4PIL, 10, 21, 32, 56, 26, 56),
        // 30×10 → 5.x rounds 56·10/30 = 18.67 up to 19; 4.57 truncates int(56·32/96) = 18.
        (.transformers5Torchvision, 30, 10, 32, 56, 56, 19),
        (.transformers4PIL, 30, 10, 32, 56, 56, 18),
        // detectron2 rounds with int(x + 0.5): 30×50 → 32×53.33 → 32×53, unpadded (padding is separate).
        (.detectron2, 30, 50, 32, 56, 32, 53),
        // 61×97 → 32×50.89 → int(51.39) = 51 (transformers would take int(50.89) = 50).
        (.detectron2, 61, 97, 32, 56, 32, 51),
        // Capped: 101×31 → 104.3×32 → ×(56/104.3) → 56×17.18 → 56×17.
        (.detectron2, 101, 31, 32, 56, 56, 17),
    ])
    func sizes(_ backend: PreprocessingBackend, _ height: Int, _ width: Int, _ shortest: Int, _ longest: Int,
               _ expectedHeight: Int, _ expectedWidth: Int) {
        var config = ImageProcessorConfig.transformersDefault
        config.size = .shortestEdge(shortest: shortest, longest: longest)
        config.sizeDivisor = backend == .detectron2 ? 32 : 0
        config.backend = backend
        let size = ImageProcessor(config: config).resizedSize(height: height, width: width)
        #expect(size.height == expectedHeight && size.width == expectedWidth, "\(backend) \(height)×\(width) → \(size)")
    }
}
