// What the pixel decoder needs from a backbone: four maps at strides 4, 8, 16, 32.

import TensorCore

protocol FeatureBackbone: Sendable {
    /// `pixels [3, H, W]` → feature maps `[C_s, H_s, W_s]`, fine to coarse.
    func callAsFunction(_ pixels: Tensor) -> [Tensor]
}

/// The backbone config.json names, built from the weights under `prefix`.
func makeBackbone(config: BackboneConfig, weights: WeightLoader, prefix: String) throws -> any FeatureBackbone {
    switch config {
    case .swin(let swin): try SwinBackbone(config: swin, weights: weights, prefix: prefix)
    case .resnet(let resnet): try ResNetBackbone(config: resnet, weights: weights, prefix: prefix)
    }
}
