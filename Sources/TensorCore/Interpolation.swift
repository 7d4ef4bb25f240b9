// Bilinear resize with PyTorch's `F.interpolate(mode="bilinear", align_corners=False)` arithmetic.

/// The source taps and weights of one output index along one axis.
struct LinearTap {
    var index0: Int
    var index1: Int
    var lambda0: Float
    var lambda1: Float
}

/// PyTorch's `area_pixel_compute_source_index` + `compute_indices_weights_linear` in f32:
/// src = max(0, (dst + 0.5)·(in/out) − 0.5); i0 = ⌊src⌋; i1 = i0 + (i0 < in−1); λ clamped to [0, 1].
func linearTaps(inputSize: Int, outputSize: Int) -> [LinearTap] {
    let scale = Float(inputSize) / Float(outputSize)
    return (0..<outputSize).map { dst in
        if inputSize == outputSize {
            return LinearTap(index0: dst, index1: dst, lambda0: 1, lambda1: 0)
        }
        let source = max(scale * (Float(dst) + 0.5) - 0.5, 0)
        let i0 = Int(source)
        let i1 = i0 + (i0 < inputSize - 1 ? 1 : 0)
        let lambda1 = min(max(source - Float(i0), 0), 1)
        return LinearTap(index0: i0, index1: i1, lambda0: 1 - lambda1, lambda1: lambda1)
    }
}

/// Resizes every plane of `x [C, H, W]` to `[C, height, width]` bilinearly (align_corners = False, no antialias).
public func resizeBilinear(_ x: Tensor, height: Int, width: Int) -> Tensor {
    precondition(x.rank == 3, "resizeBilinear takes [C, H, W], got \(x.shape)")
    if x.shape[1] == height && x.shape[2] == width { return x }
    return resizeBilinear(x, height: height, width: width, rows: 0..<height)
}

/// Output rows `rows` of the bilinear resize of `x [C, H, W]` to `height × width`: `[C, rows.count, width]`.
/// Lets callers walk a large target (an original-resolution map) in row blocks.
public func resizeBilinear(_ x: Tensor, height: Int, width: Int, rows: Range<Int>) -> Tensor {
    precondition(x.rank == 3, "resizeBilinear takes [C, H, W], got \(x.shape)")
    let planes = x.shape[0], inHeight = x.shape[1], inWidth = x.shape[2]
    let rowTaps = Array(linearTaps(inputSize: inHeight, outputSize: height)[rows])
    let colTaps = linearTaps(inputSize: inWidth, outputSize: width)
    let height = rows.count
    return Tensor(shape: [planes, height, width]) { out in
        x.withUnsafeBufferPointer { xp in
            let src = xp.baseAddress!
            let dst = SendablePointer(out.baseAddress!)
            rowTaps.withUnsafeBufferPointer { rows in
                colTaps.withUnsafeBufferPointer { cols in
                    parallelFor(planes * height, minimumChunk: max(1, 4096 / max(1, width))) { range in
                        for line in range {
                            let plane = line / height, y = line % height
                            let r = rows[y]
                            let row0 = src + (plane * inHeight + r.index0) * inWidth
                            let row1 = src + (plane * inHeight + r.index1) * inWidth
                            let output = dst.pointer + line * width
                            for xIndex in 0..<width {
                                let c = cols[xIndex]
                                // Same association as PyTorch's separable kernel: width first, then height.
                                let top = row0[c.index0] * c.lambda0 + row0[c.index1] * c.lambda1
                                let bottom = row1[c.index0] * c.lambda0 + row1[c.index1] * c.lambda1
                                output[xIndex] = top * r.lambda0 + bottom * r.lambda1
                            }
                        }
                    }
                }
            }
        }
    }
}
