// Multi-head attention on an already scaled query, optionally with a byte mask that blocks (query, key)
// pairs: Mask2Former's masked cross-attention and its self-attention among the queries.
//
// Exponentials of blocked keys are skipped in runs of 16 (a real mask hides most of the image from most
// queries, in long runs), and no scratch or output is zero-filled first (at 100 × 2304 scores per head,
// 7 MB of memset per layer). It replaced a general kernel (scale as a GEMM alpha, zero-filled scratch)
// whose softmax took longer than both GEMMs of a head.

/// Softmax of one row in place, with `blocked[i] != 0` counting as −∞ (probability exactly 0); equal to
/// `softmaxInPlace`. At least one key must be open (a fully blocked row becomes NaN, as in PyTorch).
@inline(__always)
public func maskedSoftmaxInPlace(_ row: UnsafeMutablePointer<Float>, blocked: UnsafePointer<UInt8>?, count: Int) {
    // Blocked → −∞ as a select (vectorises; a branch would be mispredicted on half the keys).
    if let blocked { for i in 0..<count { row[i] = blocked[i] != 0 ? -Float.infinity : row[i] } }
    let maximum = rowMaximum(row, count: count)
    let vectors = count / 16
    // From here `softmaxInPlace`'s arithmetic (its maximum, exponentials and `divideBySum`). A run of
    // 16 blocked keys is written as zeros (what exp(−∞) gives) without computing them: a real mask hides
    // most of the image from most queries in long runs; on a random mask the test costs ~10 % of the pass.
    if let blocked {
        for v in 0..<vectors {
            let chunk = row + v * 16
            if allSixteenNonzero(blocked + v * 16) {
                chunk.update(repeating: 0, count: 16)
            } else {
                for i in 0..<16 { chunk[i] = fastExp(chunk[i] - maximum) }
            }
        }
        for i in (vectors * 16)..<count { row[i] = fastExp(row[i] - maximum) }
    } else {
        for i in 0..<count { row[i] = fastExp(row[i] - maximum) }
    }
    divideBySum(row, count: count, into: row)
}

/// Whether none of the 16 bytes at `bytes` is zero (two 8-byte words, the classic has-zero-byte test).
@inline(__always)
private func allSixteenNonzero(_ bytes: UnsafePointer<UInt8>) -> Bool {
    let raw = UnsafeRawPointer(bytes)
    let low = raw.loadUnaligned(as: UInt64.self), high = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    let ones: UInt64 = 0x0101_0101_0101_0101, tops: UInt64 = 0x8080_8080_8080_8080
    return ((low &- ones) & ~low & tops) | ((high &- ones) & ~high & tops) == 0
}

/// Multi-head attention over already projected inputs: `scaledQuery [Nq, heads·hd]` (the 1/√hd already
/// applied), `key`/`value [Nk, heads·hd]`, `blocked [Nq·Nk]` (1 = hidden; every row must leave at least one key open) or nil.
///
/// Returns the concatenated head outputs `[Nq, heads·hd]` and, when `averageWeights` is set, the
/// probabilities averaged over heads `[Nq, Nk]`.
public func multiHeadAttention(
    scaledQuery query: Tensor, key: Tensor, value: Tensor, heads: Int, blocked: [UInt8]? = nil,
    averageWeights: Bool = false
) -> (output: Tensor, averageWeights: Tensor?) {
    let queryCount = query.shape[0], keyCount = key.shape[0], width = query.shape[1]
    precondition(query.rank == 2 && width % heads == 0 && key.shape[1] == width && value.shape == key.shape,
                 "multiHeadAttention(scaledQuery:): q \(query.shape), k \(key.shape), v \(value.shape), \(heads) heads")
    precondition(blocked == nil || blocked!.count == queryCount * keyCount, "multiHeadAttention(scaledQuery:): mask size")
    let headDim = width / heads, size = queryCount * keyCount
    // Every head's probabilities when they are averaged afterwards; otherwise one scratch per worker chunk.
    let keptWeights: UnsafeMutablePointer<Float>? = averageWeights ? .allocate(capacity: heads * size) : nil
    defer { keptWeights?.deallocate() }
    let output = Tensor(shape: [queryCount, width]) { op in
        query.withUnsafeBufferPointer { qp in
            key.withUnsafeBufferPointer { kp in
                value.withUnsafeBufferPointer { vp in
                    (blocked ?? []).withUnsafeBufferPointer { mp in
                        let out = SendablePointer(op.baseAddress!)
                        let kept = keptWeights.map { SendablePointer($0) }
                        let mask: UnsafePointer<UInt8>? = blocked == nil ? nil : mp.baseAddress
                        // One head per task: a head's whole score matrix (≤ 1 MB at 100 × 2304) stays in L2,
                        // and the key matrix is packed once per head, not once per query block.
                        parallelFor(heads) { range in
                            let scratch: UnsafeMutablePointer<Float>? = kept == nil ? .allocate(capacity: size) : nil
                            defer { scratch?.deallocate() }
                            for h in range {
                                let scores = kept.map { $0.pointer + h * size } ?? scratch!
                                sgemm(transposeB: true, m: queryCount, n: keyCount, k: headDim,
                                      a: qp.baseAddress! + h * headDim, lda: width,
                                      b: kp.baseAddress! + h * headDim, ldb: width, c: scores, ldc: keyCount)
                                for q in 0..<queryCount {
                                    maskedSoftmaxInPlace(scores + q * keyCount, blocked: mask.map { $0 + q * keyCount }, count: keyCount)
                                }
                                sgemm(m: queryCount, n: headDim, k: keyCount, a: scores, lda: keyCount,
                                      b: vp.baseAddress! + h * headDim, ldb: width,
                                      c: out.pointer + h * headDim, ldc: width)
                            }
                        }
                    }
                }
            }
        }
    }
    guard let keptWeights else { return (output, nil) }
    // Summed head by head in order, then divided, as torch's mean over the head dimension.
    let mean = Tensor(shape: [queryCount, keyCount]) { m in
        let sum = SendablePointer(m.baseAddress!)
        let perHead = SendablePointer(keptWeights)
        parallelFor(size, minimumChunk: 1 << 14) { range in
            for i in range { sum.pointer[i] = 0 }
            for h in 0..<heads {
                let head = perHead.pointer + h * size
                for i in range { sum.pointer[i] += head[i] }
            }
            let count = Float(heads)
            for i in range { sum.pointer[i] /= count }
        }
    }
    return (output, mean)
}
