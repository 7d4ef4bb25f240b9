// LayerNorm over the last dimension and GroupNorm over [C, H, W], as PyTorch defines them.

#if canImport(Glibc)
import Glibc
#endif

/// `nn.LayerNorm(C, eps)` over the last dimension of `x [..., C]`: biased variance, affine.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
    let width = weight.count
    precondition(x.shape.last == width && bias.count == width, "layerNorm: input \(x.shape), weight [\(width)]")
    let rows = x.count / max(1, width)
    return Tensor(shape: x.shape) { out in
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    let src = xp.baseAddress!, gamma = wp.baseAddress!, beta = bp.baseAddress!
                    let dst = SendablePointer(out.baseAddress!)
                    parallelFor(rows, minimumChunk: max(1, 16384 / max(1, width))) { range in
                        for r in range {
                            normalizeRow(src + r * width, into: dst.pointer + r * width, count: width,
                                         gamma: gamma, beta: beta, eps: eps)
                        }
                    }
                }
            }
        }
    }
}

/// `x += residual`, then `layerNorm(x)` of the sum, in one pass over the rows: each row is added
/// and normalised while it is in L1 (a pre-norm block's residual add followed by the next
/// sublayer's norm). The sums are the same as `+=` then `layerNorm`.
public func addThenLayerNorm(_ x: inout Tensor, _ residual: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
    let shape = x.shape
    return Tensor(shape: shape) { out in
        addRowsThenNormalize(&x, residual, weight: weight, bias: bias, eps: eps, into: out.baseAddress!, name: "addThenLayerNorm")
    }
}

/// `x = layerNorm(x + residual)` in place (a post-norm block's residual and norm) in one pass.
public func layerNormOfSum(_ x: inout Tensor, adding residual: Tensor, weight: Tensor, bias: Tensor, eps: Float) {
    addRowsThenNormalize(&x, residual, weight: weight, bias: bias, eps: eps, into: nil, name: "layerNormOfSum")
}

/// The row loop of both: `x += residual`, then each row normalised into `destination`, or over
/// itself when nil (the statistics are taken before the row is overwritten).
private func addRowsThenNormalize(_ x: inout Tensor, _ residual: Tensor, weight: Tensor, bias: Tensor, eps: Float,
                                  into destination: UnsafeMutablePointer<Float>?, name: String) {
    precondition(x.shape == residual.shape, "\(name): \(x.shape) + \(residual.shape)")
    let width = weight.count
    precondition(x.shape.last == width && bias.count == width, "\(name): input \(x.shape), weight [\(width)]")
    let rows = x.count / max(1, width)
    x.withUnsafeMutableBufferPointer { xp in
        residual.withUnsafeBufferPointer { rp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    let sum = SendablePointer(xp.baseAddress!), dst = SendablePointer(destination ?? xp.baseAddress!)
                    let add = rp.baseAddress!, gamma = wp.baseAddress!, beta = bp.baseAddress!
                    parallelFor(rows, minimumChunk: max(1, 16384 / max(1, width))) { range in
                        for r in range {
                            let row = sum.pointer + r * width, other = add + r * width
                            for c in 0..<width { row[c] += other[c] }
                            normalizeRow(row, into: dst.pointer + r * width, count: width, gamma: gamma, beta: beta, eps: eps)
                        }
                    }
                }
            }
        }
    }
}

/// One LayerNorm row: `(x − mean)·rstd·γ + β`. `destination` may be `row` itself.
@inline(__always)
func normalizeRow(_ row: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count width: Int,
                  gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
    let (meanF, rstd) = meanAndReciprocalStd(row, count: width, eps: eps)
    for c in 0..<width { y[c] = (row[c] - meanF) * rstd * gamma[c] + beta[c] }
}

/// `nn.GroupNorm(groups, C, eps)` on a `[C, H, W]` map: statistics per group of C/groups
/// consecutive channels over all their pixels, biased variance, per-channel affine.
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
    precondition(x.rank == 3, "groupNorm takes [C, H, W], got \(x.shape)")
    let channels = x.shape[0], plane = x.shape[1] * x.shape[2]
    precondition(channels % groups == 0 && weight.count == channels, "groupNorm: \(channels) channels in \(groups) groups")
    let perGroup = channels / groups
    return Tensor(shape: x.shape) { out in
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    let src = xp.baseAddress!, gamma = wp.baseAddress!, beta = bp.baseAddress!
                    let dst = SendablePointer(out.baseAddress!)
                    parallelFor(groups) { range in
                        for g in range {
                            let (meanF, rstd) = meanAndReciprocalStd(src + g * perGroup * plane, count: perGroup * plane, eps: eps)
                            for c in (g * perGroup)..<((g + 1) * perGroup) {
                                let a = rstd * gamma[c], b = beta[c] - meanF * rstd * gamma[c]
                                let row = src + c * plane, y = dst.pointer + c * plane
                                for i in 0..<plane { y[i] = row[i] * a + b }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// 16 float lanes: only `+`, `-` and `*` on it, which Swift lowers to vector instructions.
typealias FloatVector = SIMD16<Float>

/// Mean and 1/√(biased variance + eps) of `count` floats: two passes (mean, then centred squares),
/// 16 lanes of f32 partial sums combined in double, which agrees with PyTorch to ~1e-7 relative.
@inline(__always)
func meanAndReciprocalStd(_ values: UnsafePointer<Float>, count: Int, eps: Float) -> (mean: Float, rstd: Float) {
    let raw = UnsafeRawPointer(values)
    let vectors = count / 16
    var lanes = FloatVector(repeating: 0)
    for v in 0..<vectors { lanes += raw.loadUnaligned(fromByteOffset: v * 64, as: FloatVector.self) }
    var sum = (0..<16).reduce(0.0) { $0 + Double(lanes[$1]) }
    for i in (vectors * 16)..<count { sum += Double(values[i]) }
    let mean = Float(sum / Double(count))
    var squares = FloatVector(repeating: 0)
    for v in 0..<vectors {
        let d = raw.loadUnaligned(fromByteOffset: v * 64, as: FloatVector.self) - mean
        squares += d * d
    }
    var total = (0..<16).reduce(0.0) { $0 + Double(squares[$1]) }
    for i in (vectors * 16)..<count { let d = Double(values[i] - mean); total += d * d }
    return (mean, Float(1 / (total / Double(count) + Double(eps)).squareRoot()))
}
