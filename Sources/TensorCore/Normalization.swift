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
                            let row = src + r * width
                            // Double accumulation: the statistics agree with PyTorch's to ~1e-7 relative.
                            var sum = 0.0
                            for c in 0..<width { sum += Double(row[c]) }
                            let mean = sum / Double(width)
                            var squares = 0.0
                            for c in 0..<width { let d = Double(row[c]) - mean; squares += d * d }
                            let rstd = Float(1 / (squares / Double(width) + Double(eps)).squareRoot())
                            let meanF = Float(mean)
                            let y = dst.pointer + r * width
                            for c in 0..<width { y[c] = (row[c] - meanF) * rstd * gamma[c] + beta[c] }
                        }
                    }
                }
            }
        }
    }
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
                            let start = src + g * perGroup * plane
                            let n = perGroup * plane
                            var sum = 0.0
                            for i in 0..<n { sum += Double(start[i]) }
                            let mean = sum / Double(n)
                            var squares = 0.0
                            for i in 0..<n { let d = Double(start[i]) - mean; squares += d * d }
                            let rstd = Float(1 / (squares / Double(n) + Double(eps)).squareRoot())
                            let meanF = Float(mean)
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
