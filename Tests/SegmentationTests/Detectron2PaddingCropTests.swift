// detectron2's post-processing of a zero-padded input (upsample to the padded size, crop the image's
// region, resize to the image) against a Python re-implementation of its steps
// (Tools/reference/make_detectron2_postprocess_fixtures.py; postprocess/detectron2-padded.*).
// The fixture also holds the uncropped results and asserts they differ, so these fail without the crop.

import Foundation
import Mask2Former
import Safetensors
import TensorCore
import TestSupport
import Testing
@testable import Segmentation

@Suite("detectron2 padding crop")
struct Detectron2PaddingCropTests {
    struct Case {
        var prediction: LayerPrediction
        var tensors: SafetensorsFile
        var imageSize: OutputSize
        var kept: [Int]
    }

    func load() throws -> Case {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("postprocess/detectron2-padded.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let image = try #require(json["image_hw"] as? [Int]), resized = try #require(json["resized_hw"] as? [Int])
        let padded = try #require(json["padded_hw"] as? [Int])
        let tensors = try SafetensorsFile(path: fixturePath("postprocess/detectron2-padded.safetensors"))
        let padding = InputPadding(paddedHeight: padded[0], paddedWidth: padded[1], imageHeight: resized[0], imageWidth: resized[1])
        let prediction = LayerPrediction(classLogits: try tensors.floatTensor("class_queries_logits"),
                                         maskLogits: try tensors.floatTensor("masks_queries_logits"), padding: padding)
        return Case(prediction: prediction, tensors: tensors, imageSize: OutputSize(height: image[0], width: image[1]),
                    kept: try #require(json["kept_queries"] as? [Int]))
    }

    /// Pixels where `ours` differs from the reference outside its recorded near-ties.
    func mismatches(_ ours: [Int32], _ name: String, in tensors: SafetensorsFile, ties: String) throws -> Int {
        let expected = try tensors.integerValues(name), nearTie = try tensors.integerValues(ties)
        #expect(ours.count == expected.count)
        return zip(ours.indices, expected).filter { i, value in Int64(ours[i]) != value && nearTie[i] == 0 }.count
    }

    @Test("semantic: the map equals detectron2's (before-inference sem_seg_postprocess, sigmoid, Σ_q)")
    func semantic() throws {
        let loaded = try load()
        let map = semanticSegmentation(loaded.prediction, size: loaded.imageSize, options: PostProcessingOptions(maskResize: .direct))
        #expect(map.width == loaded.imageSize.width && map.height == loaded.imageSize.height)
        #expect(try mismatches(map.values, "cropped.semantic", in: loaded.tensors, ties: "cropped.semantic_near_tie") == 0)
    }

    @Test("panoptic: each pixel's owner equals detectron2's cur_mask_ids (score × probability, cropped)")
    func panoptic() throws {
        let loaded = try load()
        // Thresholds that keep every query and every segment, so the map shows the raw pixel vote.
        let options = PostProcessingOptions(threshold: 0.3, maskThreshold: 0, overlapThreshold: 0, maskResize: .direct)
        let result = panopticSegmentation(loaded.prediction, stuffLabels: [], size: loaded.imageSize, options: options)
        #expect(result.queryFates.enumerated().filter { $0.element != .kept && $0.element != .removedByOverlap }.map(\.offset)
                    .allSatisfy { !loaded.kept.contains($0) })
        var queryOfSegment: [Int32: Int32] = [:]
        for segment in result.segments { queryOfSegment[segment.id] = Int32(segment.queries[0]) }
        let owners = result.map.values.map { queryOfSegment[$0] ?? -1 }
        #expect(try mismatches(owners, "cropped.panoptic_owner", in: loaded.tensors, ties: "cropped.panoptic_near_tie") == 0)
    }

    @Test("without padding the logits are used as they are (transformers checkpoints unchanged)")
    func noPadding() throws {
        var prediction = try load().prediction
        let padded = imageLogits(prediction)
        #expect(padded.shape == [prediction.maskLogits.shape[0], 90, 118])
        prediction.padding = nil
        #expect(imageLogits(prediction).scalars == prediction.maskLogits.scalars)
    }
}
