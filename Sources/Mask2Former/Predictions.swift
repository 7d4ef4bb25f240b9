// Everything one forward pass predicts, layer by layer: what the CLI dumps and the explorer steps through.

import TensorCore

/// The prediction made from one decoder state (L = 0 is from the learned query features).
public struct LayerPrediction: Sendable {
    /// `[Q, K+1]`; the last column is "no object".
    public var classLogits: Tensor
    private let masks: MaskLogits

    /// `[Q, H/4, W/4]` at the resolution of the per-pixel embeddings. The forward pass computes the
    /// last layer's; earlier layers' are computed on first use (only the explorer and dumps read them).
    public var maskLogits: Tensor { masks.value }

    /// Set when the input was zero-padded (detectron2's ImageList): post-processing crops the padding
    /// off before resizing to the image, as detectron2's `sem_seg_postprocess`. Nil for transformers.
    public var padding: InputPadding?

    public init(classLogits: Tensor, maskLogits: Tensor, padding: InputPadding? = nil) {
        self.classLogits = classLogits
        masks = MaskLogits(computed: maskLogits)
        self.padding = padding
    }

    /// Mask logits left as `maskEmbedding [Q, md] · maskFeatures [md, H/4, W/4]` until first read.
    init(classLogits: Tensor, maskEmbedding: Tensor, maskFeatures: Tensor) {
        self.classLogits = classLogits
        masks = MaskLogits(embedding: maskEmbedding, features: maskFeatures)
    }
}

/// What decoder layer j (1-based) attended to.
public struct DecoderLayerTrace: Sendable {
    /// Feature level of its cross-attention: 0 = stride 32, 1 = stride 16, 2 = stride 8.
    public var level: Int
    public var height: Int
    public var width: Int
    /// `[Q, height·width]`, 1 = hidden from the query: prediction j−1's mask probability < 0.5,
    /// bilinearly resized to this level, after the rule that an all-hidden row attends everywhere.
    public var attentionMask: [UInt8]
    /// Queries whose previous mask hid every pixel, so they attended everywhere.
    public var queriesAttendingEverywhere: [Int]
    /// `[Q, height, width]` cross-attention probabilities averaged over heads (only when asked for).
    public var crossAttention: Tensor?
}

/// Stage outputs kept for parity checks and inspection.
public struct Intermediates: Sendable {
    /// The four normed backbone maps `[C_s, H_s, W_s]`, strides 4, 8, 16, 32.
    public var backboneFeatures: [Tensor]
    /// Pixel-decoder outputs coarse → fine `[d_f, H_l, W_l]`.
    public var multiScaleFeatures: [Tensor]
    /// `[mask_feature_size, H/4, W/4]`.
    public var maskFeatures: Tensor
}

/// Wall-clock seconds per stage of one forward pass, and the GEMM floating-point operations each issued.
public struct StageTimings: Sendable {
    public var backbone: Double = 0
    public var pixelDecoder: Double = 0
    public var transformerDecoder: Double = 0
    public var total: Double { backbone + pixelDecoder + transformerDecoder }
    public var backboneOperations = 0
    public var pixelDecoderOperations = 0
    public var transformerDecoderOperations = 0
}

public struct Predictions: Sendable {
    /// L = 0 … decoder layers; the last is the model's answer.
    public var layers: [LayerPrediction]
    /// Decoder layers 1 … N at indices 0 … N−1.
    public var decoderLayers: [DecoderLayerTrace]
    /// Height and width of the model input (`pixel_values`).
    public var inputHeight: Int
    public var inputWidth: Int
    /// The image's region of a zero-padded input (detectron2 backend); every layer carries it too.
    public var padding: InputPadding? { final.padding }
    public var intermediates: Intermediates?
    public var timings: StageTimings

    public var final: LayerPrediction { layers[layers.count - 1] }
    public var queryCount: Int { final.classLogits.shape[0] }
}
