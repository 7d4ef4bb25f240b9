// Scaled dot-product attention, one head as a kernel over strided rows: Swin's window attention.
// (The decoder's multi-head masked attention is MaskedAttention.swift.)

/// One head of attention: `softmax(scale·q·kᵀ + bias + mask) · v`.
///
/// Rows are strided so heads can be read in place from `[N, heads·headDim]` projections.
/// `scores` is scratch of `queryCount·keyCount` floats; on return it holds the probabilities.
/// `bias` and `mask` are optional additive `[queryCount, keyCount]` terms (Swin's relative position
/// bias and −100 shift mask).
public func attentionHead(
    query: UnsafePointer<Float>, queryStride: Int,
    key: UnsafePointer<Float>, keyStride: Int,
    value: UnsafePointer<Float>, valueStride: Int,
    output: UnsafeMutablePointer<Float>, outputStride: Int,
    queryCount: Int, keyCount: Int, headDim: Int, scale: Float,
    bias: UnsafePointer<Float>? = nil, mask: UnsafePointer<Float>? = nil,
    scores: UnsafeMutablePointer<Float>
) {
    sgemm(transposeB: true, m: queryCount, n: keyCount, k: headDim, alpha: scale,
          a: query, lda: queryStride, b: key, ldb: keyStride, c: scores, ldc: keyCount)
    // Bias, mask and softmax row by row, so each row is read while it is still in L1 (a Swin-L window's
    // scores are 144×144 floats, 83 KB: whole-matrix passes went to L2 once per term).
    // Row pointers rather than `offset + i` indices: the overflow checks on the index kept these loops scalar.
    for q in 0..<queryCount {
        let offset = q * keyCount
        let row = scores + offset
        if let bias, let mask {
            let biasRow = bias + offset, maskRow = mask + offset
            for i in 0..<keyCount { row[i] = row[i] + biasRow[i] + maskRow[i] }
        } else if let bias {
            let biasRow = bias + offset
            for i in 0..<keyCount { row[i] += biasRow[i] }
        } else if let mask {
            let maskRow = mask + offset
            for i in 0..<keyCount { row[i] += maskRow[i] }
        }
        softmaxInPlace(row, count: keyCount)
    }
    sgemm(m: queryCount, n: headDim, k: keyCount, a: scores, lda: keyCount,
          b: value, ldb: valueStride, c: output, ldc: outputStride)
}
