// The processor's size rule (transformers 4.57 slow Mask2FormerImageProcessor) and its
// preprocessing against the reference pixel_values.

import Foundation
import Imaging
import Mask2Former
import Safetensors
import TensorCore
import TestSupport
import Testing

@Suite("Image processor")
struct ImageProcessorTests {
    func processor(_ size: ImageProcessorConfig.ResizeRule, divisor: Int) -> ImageProcessor {
        var config = ImageProcessorConfig.transformersDefault
        config.backend = .transformers4PIL
        config.size = size
        config.sizeDivisor = divisor
        return ImageProcessor(config: config)
    }

    // Expected sizes worked out with transformers 4.57's get_resize_output_image_size
    // (new_long = int(short_target · long / short), capped by longest_edge) and ceil to the divisor.
    @Test("output size rule", arguments: [
        (ImageProcessorConfig.ResizeRule.fixed(height: 384, width: 384), 32, 480, 640, 384, 384),
        (.shortestEdge(shortest: 800, longest: 1333), 32, 480, 640, 800, 1088),     // 800×1066 → ×32
        (.shortestEdge(shortest: 800, longest: 1333), 32, 200, 1000, 288, 1344),    // capped: 266×1333
        (.shortestEdge(shortest: 800, longest: 1333), 32, 1000, 200, 1344, 288),
        (.shortestEdge(shortest: 100, longest: 160), 0, 150, 200, 100, 133),
        (.shortestEdge(shortest: 800, longest: 1333), 0, 800, 800, 800, 800),
    ])
    func outputSize(_ rule: ImageProcessorConfig.ResizeRule, _ divisor: Int, _ height: Int, _ width: Int,
                    _ expectedHeight: Int, _ expectedWidth: Int) {
        let size = processor(rule, divisor: divisor).outputSize(height: height, width: width)
        #expect(size.height == expectedHeight && size.width == expectedWidth)
    }

    @Test("preprocessed pixels equal the reference processor's", arguments: [
        ("tiny-w7-scene-120x90", "tiny-w7", "scene-120x90.png"),
        ("tiny-w12-scene-200x150", "tiny-w12", "scene-200x150.png"),
    ])
    func pixelValues(_ name: String, _ model: String, _ image: String) throws {
        // These references are transformers 4.57's slow processor (the 5.x backends: PreprocessingBackendTests).
        var config = try ImageProcessorConfig.load(path: fixturePath("models/\(model)/preprocessor_config.json"))
        config.backend = .transformers4PIL
        let picture = try loadImage(path: fixturePath("reference/images/\(image)"))
        let pixels = ImageProcessor(config: config).preprocess(picture)
        let reference = try SafetensorsFile(path: fixturePath("reference/\(name).safetensors"))
        // Pillow's fixed-point resize is reproduced exactly, so the only differences are f32 rounding.
        expectClose(pixels, try reference.floatTensor("pixel_values"), stage: "\(name) pixel_values", tolerance: 1e-6)
    }

    @Test("malformed preprocessor configs are named")
    func badConfigs() throws {
        let directory = NSTemporaryDirectory() + "maskscope-pp-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases = [
            (#"{"size": {"max_height": 5, "max_width": 5}}"#, "not supported"),
            (#"{"resample": 3}"#, "resample 3 is not supported"),
            (#"{"image_mean": [0.5]}"#, "image_mean is a list of 1; must be 3 finite numbers"),
            ("[1, 2]", "not a JSON object"),
            ("{", "not valid JSON"),
        ]
        for (text, needle) in cases {
            let path = directory + "/preprocessor_config.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try ImageProcessorConfig.load(path: path)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(String(describing: error).contains(needle), "\(error)")
            }
        }
    }
}
