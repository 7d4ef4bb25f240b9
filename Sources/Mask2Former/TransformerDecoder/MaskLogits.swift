// A layer's full-resolution mask logits, computed once on first read.
//
// Why lazy: a forward pass needs only the last layer's masks at H/4 × W/4; the earlier layers feed the
// masked attention at their (much smaller) feature level. Computing all of them at full resolution as
// transformers does costs 9 × Q × 256 × H/4·W/4 multiply-adds (25 GFLOP for 100 queries at 800×1088),
// which only the explorer's layer view and `predict --save-logits` ever read.

import Synchronization
import TensorCore

final class MaskLogits: Sendable {
    private let source: (embedding: Tensor, features: Tensor)?
    private let cache: Mutex<Tensor?>

    init(computed: Tensor) {
        source = nil
        cache = Mutex(computed)
    }

    init(embedding: Tensor, features: Tensor) {
        source = (embedding, features)
        cache = Mutex(nil)
    }

    var value: Tensor {
        cache.withLock { cached in
            if let cached { return cached }
            let (embedding, features) = source!
            let logits = maskLogits(embedding: embedding, maskFeatures: features)
            cached = logits
            return logits
        }
    }
}

/// `embedding [Q, md] · features [md, H, W]` → `[Q, H, W]` (transformers' `einsum("bqc,bchw->bqhw")`).
func maskLogits(embedding: Tensor, maskFeatures features: Tensor) -> Tensor {
    let height = features.shape[1], width = features.shape[2]
    return matmul(embedding, features.reshaped([features.shape[0], height * width]))
        .reshaped([embedding.shape[0], height, width])
}
