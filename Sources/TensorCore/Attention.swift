// Scaled dot-product attention: one head as a kernel over strided rows, and the multi-head form.

/// One head of attention: `softmax(scale·q·kᵀ + bias + mask, blocked → −∞) · v`.
///
/// Rows are strided so heads can be read in place from `[N, heads·headDim]` projections.
/// `scores` is scratch of `queryCount·keyCount` floats; on return it holds the probabilities.
/// `bias` and `mask` are optional additive `[queryCount, keyCount]` terms (Swin's relative position
/// bias and −100 shift mask); `blocked` marks keys a query may not see (Mask2Former's masked attention).
public func attentionHead(
    query: UnsafePointer<Float>, queryStride: Int,
    key: UnsafePointer<Float>, keyStride: Int,
    value: UnsafePointer<Float>, valueStride: Int,
    output: UnsafeMutablePointer<Float>, outputStride: Int,
    queryCount: Int, keyCount: Int, headDim: Int, scale: Float,
    bias: UnsafePointer<Float>? = nil, mask: UnsafePointer<Float>? = nil,
    blocked: UnsafePointer<UInt8>? = nil,
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
        if let blocked {
            // Branch-free so it vectorizes: a select, not a conditional store.
            let blockedRow = blocked + offset
            for i in 0..<keyCount { row[i] = blockedRow[i] != 0 ? -.infinity : row[i] }
        }
        softmaxInPlace(row, count: keyCount)
    }
    sgemm(m: queryCount, n: headDim, k: keyCount, a: scores, lda: keyCount,
          b: value, ldb: valueStride, c: output, ldc: outputStride)
}

/// Multi-head attention over already projected `query [Nq, heads·hd]`, `key`/`value [Nk, heads·hd]`.
///
/// Returns the concatenated head outputs `[Nq, heads·hd]` (before the output projection) and, when
/// `averageWeights` is set, the attention probabilities averaged over heads `[Nq, Nk]`.
public func multiHeadAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Float,
    blocked: [UInt8]? = nil, averageWeights: Bool = false
) -> (output: Tensor, averageWeights: Tensor?) {
    let queryCount = query.shape[0], keyCount = key.shape[0], width = query.shape[1]
    precondition(width % heads == 0 && key.shape[1] == width && value.shape == key.shape,
                 "multiHeadAttention: q \(query.shape), k \(key.shape), v \(value.shape), \(heads) heads")
    precondition(blocked == nil || blocked!.count == queryCount * keyCount, "multiHeadAttention: mask size")
    let headDim = width / heads
    var output = Tensor(zeros: [queryCount, width])
    var perHead = [Float](repeating: 0, count: averageWeights ? heads * queryCount * keyCount : 0)
    let maskScalars = blocked ?? []
    query.withUnsafeBufferPointer { qp in
        key.withUnsafeBufferPointer { kp in
            value.withUnsafeBufferPointer { vp in
                maskScalars.withUnsafeBufferPointer { mp in
                    output.withUnsafeMutableBufferPointer { op in
                        perHead.withUnsafeMutableBufferPointer { hp in
                            let out = SendablePointer(op.baseAddress!)
                            let weights = averageWeights ? SendablePointer(hp.baseAddress!) : nil
                            let mask: UnsafePointer<UInt8>? = blocked == nil ? nil : mp.baseAddress
                            parallelFor(heads) { range in
                                var scratch = [Float](repeating: 0, count: queryCount * keyCount)
                                scratch.withUnsafeMutableBufferPointer { sp in
                                    for h in range {
                                        attentionHead(
                                            query: qp.baseAddress! + h * headDim, queryStride: width,
                                            key: kp.baseAddress! + h * headDim, keyStride: width,
                                            value: vp.baseAddress! + h * headDim, valueStride: width,
                                            output: out.pointer + h * headDim, outputStride: width,
                                            queryCount: queryCount, keyCount: keyCount, headDim: headDim,
                                            scale: scale, blocked: mask, scores: sp.baseAddress!)
                                        if let weights {
                                            (weights.pointer + h * queryCount * keyCount)
                                                .update(from: sp.baseAddress!, count: queryCount * keyCount)
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
    guard averageWeights else { return (output, nil) }
    // Summed head by head in order, then divided, as torch's mean over the head dimension.
    let size = queryCount * keyCount
    let mean = Tensor(shape: [queryCount, keyCount]) { m in
        m.initialize(repeating: 0)
        for h in 0..<heads { for i in 0..<size { m[i] += perHead[h * size + i] } }
        let count = Float(heads)
        for i in 0..<size { m[i] /= count }
    }
    return (output, mean)
}
