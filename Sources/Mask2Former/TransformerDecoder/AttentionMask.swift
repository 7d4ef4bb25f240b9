// The mask that limits a decoder layer's cross-attention: where the previous prediction's mask
// probability at the layer's feature level is below 0.5.

import TensorCore

/// The masked-attention mask of `embedding [Q, md]` over `levelFeatures [md, h, w]` (the mask features
/// resized to the level): hidden where `sigmoid(embedding · features) < 0.5` in f32 (not `logit < 0`: for
/// |x| ≲ 6e-8 sigmoid rounds to exactly 0.5, which is open). Rows that would hide everything are opened
/// entirely; their query indices are returned. Returns `[Q·h·w]`, 1 = hidden.
///
/// transformers computes the logits at H/4 × W/4 and resizes them bilinearly to the level; resizing is
/// linear per pixel and the logits are linear in the mask features, so the decoder resizes the mask
/// features once per level instead and gets the same logits (up to rounding) for a fraction of the work.
///
/// The logits are computed a block of pixels at a time and turned into the mask while the block is in
/// cache; they are never needed as a whole. (One 100 × 2304 product split in two column halves ran at
/// half the rate of the model's other GEMMs, and the sigmoid was a libm call per logit.)
func attentionMask(embedding: Tensor, levelFeatures: Tensor) -> (mask: [UInt8], openedQueries: [Int]) {
    let queries = embedding.shape[0], depth = embedding.shape[1]
    precondition(levelFeatures.rank == 3 && levelFeatures.shape[0] == depth,
                 "attentionMask: embedding \(embedding.shape), features \(levelFeatures.shape)")
    let pixels = levelFeatures.shape[1] * levelFeatures.shape[2]
    // A few blocks per worker, each ≥ 64 pixels wide (a narrower product is mostly packing).
    let blockWidth = max(64, (pixels + parallelWorkerCount * 4 - 1) / (parallelWorkerCount * 4))
    let blocks = (pixels + blockWidth - 1) / blockWidth
    var mask = [UInt8](repeating: 0, count: queries * pixels)
    var hiddenCounts = [Int](repeating: 0, count: blocks * queries)
    embedding.withUnsafeBufferPointer { ep in
        levelFeatures.withUnsafeBufferPointer { fp in
            mask.withUnsafeMutableBufferPointer { mp in
                hiddenCounts.withUnsafeMutableBufferPointer { cp in
                    let hidden = SendablePointer(mp.baseAddress!), counts = SendablePointer(cp.baseAddress!)
                    parallelFor(blocks) { range in
                        let logits = UnsafeMutablePointer<Float>.allocate(capacity: queries * blockWidth)
                        defer { logits.deallocate() }
                        for block in range {
                            let start = block * blockWidth, width = min(blockWidth, pixels - start)
                            sgemm(m: queries, n: width, k: depth, a: ep.baseAddress!, lda: depth,
                                  b: fp.baseAddress! + start, ldb: pixels, c: logits, ldc: width)
                            for q in 0..<queries {
                                counts.pointer[block * queries + q] = hideBelowHalf(
                                    logits + q * width, into: hidden.pointer + q * pixels + start, count: width)
                            }
                        }
                    }
                }
            }
        }
    }
    var opened: [Int] = []
    for q in 0..<queries where (0..<blocks).reduce(0, { $0 + hiddenCounts[$1 * queries + q] }) == pixels {
        mask.withUnsafeMutableBufferPointer { ($0.baseAddress! + q * pixels).update(repeating: 0, count: pixels) }
        opened.append(q)
    }
    return (mask, opened)
}

/// `hidden[i] = sigmoid(logits[i]) < 0.5 ? 1 : 0`; returns how many are hidden.
///
/// Decided by the sign, without an exponential, wherever that is certain: for x ≥ 0, expf(−x) ≤ 1 so
/// sigmoid ≥ 0.5 (open); for x < −1e-5, expf(−x) > 1.00001, far above the 1 + 2⁻²³ past which
/// 1 + expf(−x) rounds above 2, so sigmoid < 0.5 (hidden). Only the band between, and NaN, needs
/// `sigmoid` itself; the first loop is branch-free and vectorises.
@inline(__always)
private func hideBelowHalf(_ logits: UnsafePointer<Float>, into hidden: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
    let certainlyHidden: Float = -1e-5
    var hiddenCount = 0, unsure = 0
    for i in 0..<count {
        let x = logits[i]
        let isHidden = x < certainlyHidden
        hidden[i] = isHidden ? 1 : 0
        hiddenCount &+= isHidden ? 1 : 0
        unsure &+= isHidden || x >= 0 ? 0 : 1
    }
    guard unsure > 0 else { return hiddenCount }
    for i in 0..<count where !(logits[i] < certainlyHidden) && !(logits[i] >= 0) && sigmoid(logits[i]) < 0.5 {
        hidden[i] = 1
        hiddenCount += 1
    }
    return hiddenCount
}
