// Numerically stable softmax along the last dimension.

#if canImport(Glibc)
import Glibc
#endif

/// Softmax of one row in place. Entries equal to −∞ get probability 0; a row of only −∞ becomes NaN,
/// as in PyTorch (callers guarantee at least one finite entry).
@inline(__always)
public func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
    let maximum = rowMaximum(row, count: count)
    // Exponentials in their own loop so it vectorizes.
    for i in 0..<count { row[i] = fastExp(row[i] - maximum) }
    divideBySum(row, count: count, into: row)
}

/// Softmax of `rows` consecutive rows of `count` values at `source`, row r written to
/// `destination + r·destinationStride`: per row exactly `softmaxInPlace`, but every row's
/// exponentials in one loop, so rows shorter than a vector (deformable attention's 12 logits per
/// head) still fill vectors. `scratch` holds `rows·count` floats.
public func softmaxRows(_ source: UnsafePointer<Float>, rows: Int, count: Int, scratch: UnsafeMutablePointer<Float>,
                        into destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
    for r in 0..<rows {
        let row = source + r * count, shifted = scratch + r * count
        let maximum = rowMaximum(row, count: count)
        for i in 0..<count { shifted[i] = row[i] - maximum }
    }
    let total = rows * count
    for i in 0..<total { scratch[i] = fastExp(scratch[i]) }
    for r in 0..<rows {
        divideBySum(scratch + r * count, count: count, into: destination + r * destinationStride)
    }
}

/// The largest of `count` floats (−∞ when empty), in 16 lanes: a scalar max chain is not vectorized
/// (its NaN rules forbid reordering). A NaN entry makes a softmax row all NaN either way, through
/// its exponential and the sum.
@inline(__always)
public func rowMaximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(row)
    let vectors = count / 16
    var largest = SIMD16<Float>(repeating: -.infinity)
    for v in 0..<vectors {
        let x = raw.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self)
        largest.replace(with: x, where: x .> largest)
    }
    var maximum = largest.max()
    for i in (vectors * 16)..<count { maximum = Swift.max(maximum, row[i]) }
    return maximum
}

/// `destination[i] = values[i] / Σ values` (softmax's last step; `destination` may be `values`).
/// The sum (a reduction) in 16 lanes, then the tail in order.
@inline(__always)
public func divideBySum(_ values: UnsafePointer<Float>, count: Int, into destination: UnsafeMutablePointer<Float>) {
    let raw = UnsafeRawPointer(values)
    var lanes = SIMD16<Float>(repeating: 0)
    let vectors = count / 16
    for v in 0..<vectors { lanes += raw.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self) }
    var sum = lanes.sum()
    for i in (vectors * 16)..<count { sum += values[i] }
    let inverse = 1 / sum
    for i in 0..<count { destination[i] = values[i] * inverse }
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
