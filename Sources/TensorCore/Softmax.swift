// Numerically stable softmax along the last dimension.

#if canImport(Glibc)
import Glibc
#endif

/// Softmax of one row in place. Entries equal to −∞ get probability 0; a row of only −∞ becomes NaN,
/// as in PyTorch (callers guarantee at least one finite entry).
@inline(__always)
public func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    for i in 0..<count where row[i] > maximum { maximum = row[i] }
    var sum: Float = 0
    for i in 0..<count {
        let e = expf(row[i] - maximum)
        row[i] = e
        sum += e
    }
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
