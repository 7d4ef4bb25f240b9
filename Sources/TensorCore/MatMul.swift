// Matrix products through OpenBLAS: every GEMM-shaped computation in the model ends here.

import CBLAS
import Dispatch
import Synchronization

/// Floating-point operations (2 per multiply-add) issued to BLAS since the process started; the
/// benchmark reads it around each stage to report GFLOP/s.
let gemmOperationCounter = Atomic<Int>(0)
public var gemmOperationCount: Int { gemmOperationCounter.load(ordering: .relaxed) }

/// OpenBLAS runs single-threaded: the project's own workers (`parallelFor`) are the one thread pool.
/// Two pools on two cores spin against each other (measured: ~20% of a Swin-T forward in sched_yield).
let blasSingleThreaded: Void = openblas_set_num_threads(1)

/// C[m, n] = alpha · op(A) · op(B) + beta · C, all row-major with leading dimensions given.
/// Runs on the calling thread only; use this inside `parallelFor` bodies.
@inline(__always)
public func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    _ = blasSingleThreaded
    gemmOperationCounter.add(2 * m * n * k, ordering: .relaxed)
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The same product spread over all cores: C is cut into row blocks (or column blocks when it has
/// few rows), each computed by one single-threaded GEMM. Small products stay on the calling thread.
public func parallelSgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let started = GEMMShapeProfile.isRecording ? DispatchTime.now().uptimeNanoseconds : 0
    defer {
        if started != 0 {
            GEMMShapeProfile.record(GEMMShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB),
                                    nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
        }
    }
    let work = m * n * max(k, 1)
    guard work >= 1 << 18, parallelWorkerCount > 1 else {
        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let out = SendablePointer(c)
    // One block per worker: every block packs the whole of the other operand again, and measured in
    // thread CPU time (Tools/gemm_cores.c shapes) 2 blocks on 2 cores beat 4 by 3–10 %.
    if m >= n {
        // Row blocks of C read row blocks of op(A).
        parallelFor(m, minimumChunk: max(16, m / parallelWorkerCount)) { rows in
            let aStart = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
            sgemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                  a: aStart, lda: lda, b: b, ldb: ldb, beta: beta, c: out.pointer + rows.lowerBound * ldc, ldc: ldc)
        }
    } else {
        // Column blocks of C read column blocks of op(B).
        parallelFor(n, minimumChunk: max(16, n / parallelWorkerCount)) { cols in
            let bStart = transposeB ? b + cols.lowerBound * ldb : b + cols.lowerBound
            sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: cols.count, k: k, alpha: alpha,
                  a: a, lda: lda, b: bStart, ldb: ldb, beta: beta, c: out.pointer + cols.lowerBound, ldc: ldc)
        }
    }
}

/// `a [m, k] · b [k, n]` (or `b [n, k]` transposed) → `[m, n]`.
public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul takes matrices, got \(a.shape) and \(b.shape)")
    let m = a.shape[0], k = a.shape[1]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition((transposeB ? b.shape[1] : b.shape[0]) == k, "matmul: \(a.shape) · \(b.shape)\(transposeB ? "ᵀ" : "")")
    return Tensor(shape: [m, n]) { c in
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                if k == 0 { c.initialize(repeating: 0); return }
                parallelSgemm(transposeB: transposeB, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                      b: bp.baseAddress!, ldb: transposeB ? k : n, c: c.baseAddress!, ldc: n)
            }
        }
    }
}

/// PyTorch's `nn.Linear`: `x [..., in] · weightᵀ + bias` with `weight [out, in]`, `bias [out]`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape.last == inFeatures, "linear: input \(x.shape) does not match weight \(weight.shape)")
    let rows = x.count / max(1, inFeatures)
    var outShape = x.shape
    outShape[outShape.count - 1] = outFeatures
    return Tensor(shape: outShape) { y in
        // Start from the bias so one GEMM with beta = 1 adds it (on all cores: serially it was ~2 % of a
        // forward at 800×1088 before linear layers moved to the packed kernels, which add it themselves).
        let output = SendablePointer(y.baseAddress!)
        bias.withUnsafeBufferPointerIfPresent { bp in
            parallelFor(rows, minimumChunk: max(1, (1 << 16) / max(1, outFeatures))) { range in
                for r in range {
                    let row = output.pointer + r * outFeatures
                    if let bp { row.initialize(from: bp, count: outFeatures) } else { row.initialize(repeating: 0, count: outFeatures) }
                }
            }
        }
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                parallelSgemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: xp.baseAddress!, lda: inFeatures,
                      b: wp.baseAddress!, ldb: inFeatures, beta: 1, c: y.baseAddress!, ldc: outFeatures)
            }
        }
    }
}
