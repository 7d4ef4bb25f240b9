// The knobs of the three post-processors, with transformers' defaults.

/// How mask logits reach the output size.
public enum MaskResize: String, Sendable, CaseIterable {
    /// transformers' rule: bilinear to 384×384 first, whatever the input, then to the target size.
    case via384 = "via-384"
    /// Straight from the H/4×W/4 logits to the target size (one interpolation, sharper for large images).
    case direct
}

public struct PostProcessingOptions: Sendable, Equatable {
    // Doubles, as the Python floats they mirror: transformers compares some in f32 (tensor vs scalar)
    // and some in double (`.item()` vs scalar); each use site converts the way the reference does.

    /// Minimum class score to keep a query (panoptic: strictly greater; instance: ≥ on class×mask score).
    public var threshold: Double = 0.5
    /// Probability at which a mask pixel counts as inside (panoptic area check).
    public var maskThreshold: Double = 0.5
    /// A panoptic segment survives only if more than this share of its own mask wins the pixel vote.
    public var overlapThreshold: Double = 0.8
    public var maskResize: MaskResize = .via384

    public init(threshold: Double = 0.5, maskThreshold: Double = 0.5, overlapThreshold: Double = 0.8, maskResize: MaskResize = .via384) {
        self.threshold = threshold
        self.maskThreshold = maskThreshold
        self.overlapThreshold = overlapThreshold
        self.maskResize = maskResize
    }

    /// The fixed size transformers resizes mask logits to before anything else.
    public static let referenceSide = 384
}
