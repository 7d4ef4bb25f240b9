// Numerically stable softmax along the last dimension.

#if canImport(Glibc)
import Glibc
#endif

/// Softmax of one row in place. Entries equal to −∞ get probability 0; a row of only −∞ becomes NaN,
/// as in PyTorch (callers guarantee at least one finite entry).
@inline(__always)
public func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
    // The maximum in 16 lanes (a scalar max chain is not vectorized: its NaN rules forbid reordering).
    // A NaN entry makes the whole row NaN either way, through its exponential and the sum.
    let raw = UnsafeMutableRawPointer(row)
    let vectors = count / 16
    var largest = SIMD16<Float>(repeating: -.infinity)
    for v in 0..<vectors {
        let x = raw.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self)
        largest.replace(with: x, where: x .> largest)
    }
    var maximum = largest.max()
    for i in (vectors * 16)..<count { maximum = Swift.max(maximum, row[i]) }
    // Exponentials in their own loop so it vectorizes; the sum (a reduction) in 16 lanes.
    for i in 0..<count { row[i] = fastExp(row[i] - maximum) }
    var lanes = SIMD16<Float>(repeating: 0)
    for v in 0..<vectors { lanes += raw.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self) }
    var sum = lanes.sum()
    for i in (vectors * 16)..<count { sum += row[i] }
    let inverse = 1 / sum
    for i in 0..<count { row[i] *= inverse }
}

extension Tensor {
    /// Softmax over the last dimension, every row independently.
    public mutating func applySoftmax() {
        guard let width = shape.last, width > 0 else { return }
        let rows = count / width
        withUnsafeMutableBufferPointer { xp in
            let p = SendablePointer(xp.baseAddress!)
            parallelFor(rows, minimumChunk: max(1, 8192 / width)) { range in
                for r in range { softmaxInPlace(p.pointer + r * width, count: width) }
            }
        }
    }
}

/// Softmax over the last dimension.
public func softmax(_ x: Tensor) -> Tensor {
    var y = x
    y.applySoftmax()
    return y
}
