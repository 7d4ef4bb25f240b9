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
/// - locations: `[Nq, heads, L, P, 2]`, normalised (x, y) with (0,0) the top-left image corner.
/// - weights: `[Nq, heads, L, P]`, already softmaxed over (L, P).
/// - returns `[Nq, heads·hd]`. Corners outside a level contribute zero (no renormalisation).
public func multiScaleDeformableSample(
    value: Tensor, levels: [FeatureLevel], locations: Tensor, weights: Tensor, heads: Int
) -> Tensor {
    let width = value.shape[1], headDim = width / heads
    let levelCount = levels.count
    let points = weights.shape[3]
    let queries = weights.shape[0]
    precondition(locations.shape == [queries, heads, levelCount, points, 2], "deformable sampling: locations \(locations.shape)")
    return Tensor(shape: [queries, width]) { out in
        out.initialize(repeating: 0)
        value.withUnsafeBufferPointer { vp in
            locations.withUnsafeBufferPointer { lp in
                weights.withUnsafeBufferPointer { wp in
                    let dst = SendablePointer(out.baseAddress!)
                    let values = vp.baseAddress!, locs = lp.baseAddress!, attention = wp.baseAddress!
                    parallelFor(queries, minimumChunk: 16) { range in
                            for q in range {
                                for h in 0..<heads {
                                    let result = dst.pointer + q * width + h * headDim
                                    var low = SIMD16<Float>(repeating: 0), high = SIMD16<Float>(repeating: 0)
                                    defer {
                                        if headDim == 32 {
                                            UnsafeMutableRawPointer(result).storeBytes(of: low, as: SIMD16<Float>.self)
                                            UnsafeMutableRawPointer(result + 16).storeBytes(of: high, as: SIMD16<Float>.self)
                                        }
                                    }
                                    for l in 0..<levelCount {
                                        let level = levels[l]
                                        let w = level.width, hgt = level.height
                                        for p in 0..<points {
                                            let index = ((q * heads + h) * levelCount + l) * points + p
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
                                            let base = values + level.start * width + h * headDim
                                            // The attention weight folds into the corner weights: one pass per corner.
                                            @inline(__always) func add(_ cx: Int, _ cy: Int, _ weight: Float) {
                                                let row = base + (cy * w + cx) * width
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
                                }
                            }
                    }
                }
            }
        }
    }
}
