// 3×3, stride-1, padding-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Why: the pixel decoder's stride-4 3×3 convolution is a quarter of its multiply-adds (11 GFLOP at
// 384², 64 at 800×1088). In the Winograd domain every 2×2 output tile needs 16 products per channel
// pair instead of 36, so the same convolution is 16 GEMMs 2.25× smaller than the im2col GEMM, with
// no im2col buffer. The transforms' coefficients are 0, ±1 and ½, exact in binary, so the results
// differ from im2col only by summation order.
//
//   Bᵀ = | 1  0 −1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
//        | 0  1  1  0 |         | ½    ½    ½  |          | 0  1 −1 −1 |
//        | 0 −1  1  0 |         | ½   −½    ½  |
//        | 0  1  0 −1 |         | 0    0    1  |
//
// Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A for each 4×4 input patch d (stride 2) and 3×3 filter g.

/// A 3×3 convolution's weights in the Winograd domain: `U[16, Cout, Cin]`, element (ξ, ν) of
/// `G g Gᵀ` in plane `4ξ + ν`. Computed once when a model loads.
public struct WinogradKernel: Sendable {
    public let transformed: Tensor
    public var outputChannels: Int { transformed.shape[1] }
    public var inputChannels: Int { transformed.shape[2] }

    /// `weight [Cout, Cin, 3, 3]` (PyTorch's layout).
    public init(weight: Tensor) {
        precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3,
                     "WinogradKernel takes [Cout, Cin, 3, 3], got \(weight.shape)")
        let cout = weight.shape[0], cin = weight.shape[1], pairs = cout * cin
        transformed = Tensor(shape: [16, cout, cin]) { u in
            weight.withUnsafeBufferPointer { w in
                for pair in 0..<pairs {
                    let g = w.baseAddress! + pair * 9
                    // G g: the three filter rows become four.
                    var rows = [Float](repeating: 0, count: 12)
                    for j in 0..<3 {
                        let (a, b, c) = (g[j], g[3 + j], g[6 + j])
                        rows[j] = a
                        rows[3 + j] = 0.5 * (a + b + c)
                        rows[6 + j] = 0.5 * (a - b + c)
                        rows[9 + j] = c
                    }
                    // (G g) Gᵀ: the same on each row's three columns.
                    for xi in 0..<4 {
                        let (a, b, c) = (rows[xi * 3], rows[xi * 3 + 1], rows[xi * 3 + 2])
                        let row = [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c]
                        for nu in 0..<4 { u[(xi * 4 + nu) * pairs + pair] = row[nu] }
                    }
                }
            }
        }
    }
}

/// `nn.Conv2d(kernel_size=3, stride=1, padding=1)` on `x [Cin, H, W]` → `[Cout, H, W]`, computed
/// with F(2×2, 3×3). Equal to `conv2d(x, weight:, bias:, padding: 1)` up to rounding.
public func conv2d3x3(_ x: Tensor, kernel: WinogradKernel, bias: Tensor?) -> Tensor {
    precondition(x.rank == 3 && x.shape[0] == kernel.inputChannels,
                 "conv2d3x3: input \(x.shape), kernel for \(kernel.inputChannels) channels")
    let cin = x.shape[0], height = x.shape[1], width = x.shape[2]
    let cout = kernel.outputChannels
    guard height > 0, width > 0 else { return Tensor(zeros: [cout, height, width]) }
    let tilesHigh = (height + 1) / 2, tilesWide = (width + 1) / 2
    // Rows of tiles per block: ~1024 tiles keep the 16 GEMMs wide enough to run at full rate while
    // the transformed block (16 × C × tiles, 16 MB at C = 256) stays bounded at any image size.
    let rowsPerBlock = max(1, min(tilesHigh, 1024 / tilesWide))
    let blockTiles = rowsPerBlock * tilesWide
    // Each channel's input rows for one block, zero-padded by one on every side.
    let slabWidth = 2 * tilesWide + 2, slabHeight = 2 * rowsPerBlock + 2
    var slab = [Float](repeating: 0, count: cin * slabHeight * slabWidth)
    var inputTiles = [Float](repeating: 0, count: 16 * cin * blockTiles)
    var products = [Float](repeating: 0, count: 16 * cout * blockTiles)

    return Tensor(shape: [cout, height, width]) { out in
        let output = SendablePointer(out.baseAddress!)
        x.withUnsafeBufferPointer { xp in
        kernel.transformed.withUnsafeBufferPointer { up in
        slab.withUnsafeMutableBufferPointer { sp in
        inputTiles.withUnsafeMutableBufferPointer { vp in
        products.withUnsafeMutableBufferPointer { mp in
            let input = xp.baseAddress!, weights = up.baseAddress!
            let slab = SendablePointer(sp.baseAddress!), v = SendablePointer(vp.baseAddress!)
            let m = SendablePointer(mp.baseAddress!)
            for firstTileRow in stride(from: 0, to: tilesHigh, by: rowsPerBlock) {
                let rows = min(rowsPerBlock, tilesHigh - firstTileRow)
                let tiles = rows * tilesWide
                let firstInputRow = 2 * firstTileRow - 1

                // Bᵀ d B for every tile of the block, one channel per task.
                parallelFor(cin, minimumChunk: 8) { channels in
                    for c in channels {
                        let padded = slab.pointer + c * slabHeight * slabWidth
                        for r in 0..<(2 * rows + 2) {
                            let line = padded + r * slabWidth
                            let y = firstInputRow + r
                            line.initialize(repeating: 0, count: slabWidth)
                            if y >= 0 && y < height {
                                (line + 1).update(from: input + (c * height + y) * width, count: width)
                            }
                        }
                        let plane = cin * tiles
                        for tileRow in 0..<rows {
                            let p0 = padded + 2 * tileRow * slabWidth
                            let p1 = p0 + slabWidth, p2 = p1 + slabWidth, p3 = p2 + slabWidth
                            let dst = v.pointer + c * tiles + tileRow * tilesWide
                            for tx in 0..<tilesWide {
                                let o = 2 * tx
                                // Bᵀ down the columns…
                                let t00 = p0[o] - p2[o], t01 = p0[o + 1] - p2[o + 1], t02 = p0[o + 2] - p2[o + 2], t03 = p0[o + 3] - p2[o + 3]
                                let t10 = p1[o] + p2[o], t11 = p1[o + 1] + p2[o + 1], t12 = p1[o + 2] + p2[o + 2], t13 = p1[o + 3] + p2[o + 3]
                                let t20 = p2[o] - p1[o], t21 = p2[o + 1] - p1[o + 1], t22 = p2[o + 2] - p1[o + 2], t23 = p2[o + 3] - p1[o + 3]
                                let t30 = p1[o] - p3[o], t31 = p1[o + 1] - p3[o + 1], t32 = p1[o + 2] - p3[o + 2], t33 = p1[o + 3] - p3[o + 3]
                                // …then B along each row.
                                let d = dst + tx
                                d[0 * plane] = t00 - t02; d[1 * plane] = t01 + t02; d[2 * plane] = t02 - t01; d[3 * plane] = t01 - t03
                                d[4 * plane] = t10 - t12; d[5 * plane] = t11 + t12; d[6 * plane] = t12 - t11; d[7 * plane] = t11 - t13
                                d[8 * plane] = t20 - t22; d[9 * plane] = t21 + t22; d[10 * plane] = t22 - t21; d[11 * plane] = t21 - t23
                                d[12 * plane] = t30 - t32; d[13 * plane] = t31 + t32; d[14 * plane] = t32 - t31; d[15 * plane] = t31 - t33
                            }
                        }
                    }
                }

                // Σ_c U ⊙ V: one GEMM per Winograd-domain element, [Cout, Cin] · [Cin, tiles].
                parallelFor(16) { elements in
                    for k in elements {
                        sgemm(m: cout, n: tiles, k: cin, a: weights + k * cout * cin, lda: cin,
                              b: v.pointer + k * cin * tiles, ldb: tiles,
                              c: m.pointer + k * cout * tiles, ldc: tiles)
                    }
                }

                // Aᵀ M A back to 2×2 output pixels, plus the bias: a tile row goes to two whole-tile
                // scratch rows (no edge tests in the loop, so it vectorises), then the image's columns out.
                parallelFor(cout, minimumChunk: 8) { channels in
                    let plane = cout * tiles
                    var pair = [Float](repeating: 0, count: 4 * tilesWide)
                    pair.withUnsafeMutableBufferPointer { pp in
                        let upper = pp.baseAddress!, lower = upper + 2 * tilesWide
                        for co in channels {
                            let b = bias?.scalar(at: co) ?? 0
                            for tileRow in 0..<rows {
                                let s = m.pointer + co * tiles + tileRow * tilesWide
                                for tx in 0..<tilesWide {
                                    let q = s + tx
                                    let r00 = q[0] + q[4 * plane] + q[8 * plane], r01 = q[plane] + q[5 * plane] + q[9 * plane]
                                    let r02 = q[2 * plane] + q[6 * plane] + q[10 * plane], r03 = q[3 * plane] + q[7 * plane] + q[11 * plane]
                                    let r10 = q[4 * plane] - q[8 * plane] - q[12 * plane], r11 = q[5 * plane] - q[9 * plane] - q[13 * plane]
                                    let r12 = q[6 * plane] - q[10 * plane] - q[14 * plane], r13 = q[7 * plane] - q[11 * plane] - q[15 * plane]
                                    upper[2 * tx] = r00 + r01 + r02 + b
                                    upper[2 * tx + 1] = r01 - r02 - r03 + b
                                    lower[2 * tx] = r10 + r11 + r12 + b
                                    lower[2 * tx + 1] = r11 - r12 - r13 + b
                                }
                                let y = 2 * (firstTileRow + tileRow)
                                let top = output.pointer + (co * height + y) * width
                                top.update(from: upper, count: width)
                                if y + 1 < height { (top + width).update(from: lower, count: width) }
                            }
                        }
                    }
                }
            }
        }}}}}
    }
}
