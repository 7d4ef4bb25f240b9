// 2-D convolution as im2col + one BLAS GEMM (1×1 convolutions skip im2col entirely).

/// `nn.Conv2d` on one image: `x [Cin, H, W]`, `weight [Cout, Cin, kh, kw]`, zero padding on all sides.
/// Returns `[Cout, Ho, Wo]` with `Ho = (H + 2·padding − kh) / stride + 1`.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(x.rank == 3 && weight.rank == 4 && weight.shape[1] == x.shape[0],
                 "conv2d: input \(x.shape), weight \(weight.shape)")
    let cin = x.shape[0], height = x.shape[1], width = x.shape[2]
    let cout = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let outHeight = (height + 2 * padding - kh) / stride + 1
    let outWidth = (width + 2 * padding - kw) / stride + 1
    let pixels = outHeight * outWidth
    let patch = cin * kh * kw

    return Tensor(shape: [cout, outHeight, outWidth]) { out in
        // Start from the bias (the GEMMs add with beta = 1), on all cores: at 800×1088 the mask
        // projection's output is 56 MB, ~2 % of a forward when filled serially.
        let output = SendablePointer(out.baseAddress!)
        bias.withUnsafeBufferPointerIfPresent { bp in
            parallelFor(cout, minimumChunk: max(1, (1 << 16) / max(1, pixels))) { planes in
                for o in planes { (output.pointer + o * pixels).initialize(repeating: bp?[o] ?? 0, count: pixels) }
            }
        }
        weight.withUnsafeBufferPointer { wp in
            if kh == 1 && kw == 1 && stride == 1 && padding == 0 {
                x.withUnsafeBufferPointer { xp in
                    parallelSgemm(m: cout, n: pixels, k: patch, a: wp.baseAddress!, lda: patch,
                                  b: xp.baseAddress!, ldb: pixels, beta: 1, c: out.baseAddress!, ldc: pixels)
                }
                return
            }
            // Unfold a block of output rows at a time: a full im2col of a stride-4 map at 800×1088 with a
            // 3×3×256 kernel would be 500 MB; a block stays in cache and bounds peak memory.
            let rowsPerBlock = max(1, min(outHeight, (1 << 20) / max(1, patch * outWidth / 16)))
            var firstRow = 0
            while firstRow < outHeight {
                let rows = firstRow..<min(outHeight, firstRow + rowsPerBlock)
                let columns = im2col(x, kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding,
                                     outRows: rows, outWidth: outWidth)
                columns.withUnsafeBufferPointer { cp in
                    parallelSgemm(m: cout, n: rows.count * outWidth, k: patch, a: wp.baseAddress!, lda: patch,
                                  b: cp.baseAddress!, ldb: rows.count * outWidth, beta: 1,
                                  c: out.baseAddress! + rows.lowerBound * outWidth, ldc: pixels)
                }
                firstRow = rows.upperBound
            }
        }
    }
}

/// Unfolds every kernel-sized patch of output rows `outRows` into a column:
/// `[Cin·kh·kw, rows·Wo]`, zeros outside the image.
func im2col(_ x: Tensor, kernelHeight kh: Int, kernelWidth kw: Int, stride: Int, padding: Int,
            outRows: Range<Int>, outWidth: Int) -> Tensor {
    let cin = x.shape[0], height = x.shape[1], width = x.shape[2]
    let pixels = outRows.count * outWidth
    return Tensor(shape: [cin * kh * kw, pixels]) { cols in
        x.withUnsafeBufferPointer { xp in
            let src = xp.baseAddress!
            let dst = SendablePointer(cols.baseAddress!)
            parallelFor(cin * kh * kw) { range in
                for row in range {
                    let c = row / (kh * kw), ky = (row / kw) % kh, kx = row % kw
                    let out = dst.pointer + row * pixels
                    for (row, oy) in outRows.enumerated() {
                        let iy = oy * stride + ky - padding
                        let line = out + row * outWidth
                        guard iy >= 0 && iy < height else {
                            line.initialize(repeating: 0, count: outWidth); continue
                        }
                        let input = src + (c * height + iy) * width
                        for ox in 0..<outWidth {
                            let ix = ox * stride + kx - padding
                            line[ox] = (ix >= 0 && ix < width) ? input[ix] : 0
                        }
                    }
                }
            }
        }
    }
}
