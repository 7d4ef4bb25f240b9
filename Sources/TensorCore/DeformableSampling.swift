// The sampling core of multi-scale deformable attention (Zhu et al., Deformable DETR), on the CPU.
// Port of `multi_scale_deformable_attention` in transformers' modeling_mask2former.py, which runs
// `F.grid_sample(bilinear, padding_mode="zeros", align_corners=False)` per level.

/// One feature level inside the concatenated value tokens.
public struct FeatureLevel: Sendable, Equatable {
    public var height: Int
    public var width: Int
    /// Index of the level's first token in the concatenation.
    public var start: Int
    public init(height: Int, width: Int, start: Int) {
        self.height = height; self.width = width; self.start = start
    }
}

/// For each query and head: Σ over (level, point) of `weight · bilinear(value_level, location)`.
///
/// - value: `[S, heads·hd]`, the tokens of all levels concatenated row-major.
/// - locations: `[heads, Nq, L, P, 2]`, normalised (x, y) with (0,0) the top-left image corner.
/// - weights: `[heads, Nq, L, P]`, already softmaxed over (L, P).
///   Both head-major, as the sampling walks them: one head's queries in order.
/// - returns `[Nq, heads·hd]`. Corners outside a level contribute zero (no renormalisation).
public func multiScaleDeformableSample(
    value: Tensor, levels: [FeatureLevel], locations: Tensor, weights: Tensor, heads: Int
) -> Tensor {
    let width = value.shape[1], headDim = width / heads
    let levelCount = levels.count
    let points = weights.shape[3]
    let queries = weights.shape[1]
    precondition(weights.shape[0] == heads && locations.shape == [heads, queries, levelCount, points, 2],
                 "deformable sampling: locations \(locations.shape), weights \(weights.shape), \(heads) heads")
    // Each head samples only its own hd columns, so the values are first laid out head by head
    // (`[heads, S, hd]`): a head's taps then land in one plane (at 800×1088, 2.3 MB instead of the
    // whole 18 MB), the two taps of a row are adjacent, and the work runs head by head so the plane
    // stays in L2 while that head's queries sample it, reading its locations and weights in order.
    // Sampling was memory-bound on the strided reads.
    let tokens = value.shape[0]
    let planes = perHeadPlanes(value, heads: heads)
    let queryBlocks = max(1, min(queries / 64, 4 * parallelWorkerCount))
    return Tensor(shape: [queries, width]) { out in
        out.initialize(repeating: 0)
        planes.withUnsafeBufferPointer { vp in
            locations.withUnsafeBufferPointer { lp in
                weights.withUnsafeBufferPointer { wp in
                    let dst = SendablePointer(out.baseAddress!)
                    let locs = lp.baseAddress!, attention = wp.baseAddress!
                    // Jobs head-major, so consecutive jobs (one worker's chunk) share a plane.
                    parallelFor(heads * queryBlocks) { range in
                        for job in range {
                            let h = job / queryBlocks, block = job % queryBlocks
                            let plane = vp.baseAddress! + h * tokens * headDim
                            for q in (block * queries / queryBlocks)..<((block + 1) * queries / queryBlocks) {
                                let result = dst.pointer + q * width + h * headDim
                                var low = SIMD16<Float>(repeating: 0), high = SIMD16<Float>(repeating: 0)
                                for l in 0..<levelCount {
                                    let level = levels[l]
                                    let w = level.width, hgt = level.height
                                    let base = plane + level.start * headDim
                                    for p in 0..<points {
                                        let index = ((h * queries + q) * levelCount + l) * points + p
                                        let a = attention[index]
                                        // grid_sample's un-normalisation of g = 2·loc − 1, as transformers feeds it.
                                        let gx = 2 * locs[index * 2] - 1, gy = 2 * locs[index * 2 + 1] - 1
                                        let x = ((gx + 1) * Float(w) - 1) / 2
                                        let y = ((gy + 1) * Float(hgt) - 1) / 2
                                        guard x.isFinite && y.isFinite else { continue }
                                        let xf = x.rounded(.down), yf = y.rounded(.down)
                                        // Far outside: every corner is out of range.
                                        guard xf > -2 && yf > -2 && xf < Float(w) && yf < Float(hgt) else { continue }
                                        let x0 = Int(xf), y0 = Int(yf)
                                        let tx = x - xf, ty = y - yf
                                        // The four corners, each dropped when outside the level.
                                        let inX0 = x0 >= 0, inX1 = x0 + 1 < w, inY0 = y0 >= 0, inY1 = y0 + 1 < hgt
                                        // The attention weight folds into the corner weights: one pass per corner.
                                        @inline(__always) func add(_ cx: Int, _ cy: Int, _ weight: Float) {
                                            let row = base + (cy * w + cx) * headDim
                                            if headDim == 32 {
                                                // The common head width, in two 16-lane registers.
                                                low += weight * UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                                                high += weight * UnsafeRawPointer(row + 16).loadUnaligned(as: SIMD16<Float>.self)
                                            } else {
                                                for i in 0..<headDim { result[i] += weight * row[i] }
                                            }
                                        }
                                        if inY0 && inX0 { add(x0, y0, a * ((1 - tx) * (1 - ty))) }
                                        if inY0 && inX1 { add(x0 + 1, y0, a * (tx * (1 - ty))) }
                                        if inY1 && inX0 { add(x0, y0 + 1, a * ((1 - tx) * ty)) }
                                        if inY1 && inX1 { add(x0 + 1, y0 + 1, a * (tx * ty)) }
                                    }
                                }
                                if headDim == 32 {
                                    UnsafeMutableRawPointer(result).storeBytes(of: low, as: SIMD16<Float>.self)
                                    UnsafeMutableRawPointer(result + 16).storeBytes(of: high, as: SIMD16<Float>.self)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `[S, heads·hd]` → `[heads, S, hd]`: each head's columns as one contiguous plane.
func perHeadPlanes(_ value: Tensor, heads: Int) -> Tensor {
    let tokens = value.shape[0], width = value.shape[1], headDim = width / heads
    if heads == 1 { return value }
    return Tensor(shape: [heads, tokens, headDim]) { out in
        value.withUnsafeBufferPointer { vp in
            let dst = SendablePointer(out.baseAddress!)
            parallelFor(tokens, minimumChunk: 256) { range in
                for s in range {
                    let row = vp.baseAddress! + s * width
                    for h in 0..<heads {
                        (dst.pointer + (h * tokens + s) * headDim).update(from: row + h * headDim, count: headDim)
                    }
                }
            }
        }
    }
}
