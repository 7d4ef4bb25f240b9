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
    // Each channel's input rows for one block, zero-padded by one on every side, each row split into
    // its even and odd padded columns (`half` floats each, with a vector's slack for the last lanes):
    // a tile's four columns are then evens[tx], odds[tx], evens[tx + 1], odds[tx + 1], so the
    // transform runs 16 tiles per vector with contiguous loads (the interleaved scalar form spilled).
    let half = tilesWide + 1 + WinogradLanes.scalarCount
    let slabWidth = 2 * half, slabHeight = 2 * rowsPerBlock + 2
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
                            let evens = padded + r * slabWidth, odds = evens + half
                            let y = firstInputRow + r
                            evens.initialize(repeating: 0, count: slabWidth)
                            if y >= 0 && y < height {
                                // Padded column j holds input column j − 1: evens[k] = x[2k − 1], odds[k] = x[2k].
                                let source = input + (c * height + y) * width
                                for k in 0..<((width + 1) / 2) { odds[k] = source[2 * k] }
                                for k in 1..<(width / 2 + 1) { evens[k] = source[2 * k - 1] }
                            }
                        }
                        let plane = cin * tiles
                        for tileRow in 0..<rows {
                            let e0 = padded + 2 * tileRow * slabWidth, o0 = e0 + half
                            let e1 = e0 + slabWidth, o1 = e1 + half
                            let e2 = e1 + slabWidth, o2 = e2 + half
                            let e3 = e2 + slabWidth, o3 = e3 + half
                            let dst = v.pointer + c * tiles + tileRow * tilesWide
                            for tx in stride(from: 0, to: tilesWide, by: WinogradLanes.scalarCount) {
                                func load(_ p: UnsafeMutablePointer<Float>, _ offset: Int) -> WinogradLanes {
                                    UnsafeRawPointer(p + tx + offset).loadUnaligned(as: WinogradLanes.self)
                                }
                                // Columns o, o + 1, o + 2, o + 3 of the tile (o = 2·tx) in each of its 4 rows.
                                let p00 = load(e0, 0), p01 = load(o0, 0), p02 = load(e0, 1), p03 = load(o0, 1)
                                let p10 = load(e1, 0), p11 = load(o1, 0), p12 = load(e1, 1), p13 = load(o1, 1)
                                let p20 = load(e2, 0), p21 = load(o2, 0), p22 = load(e2, 1), p23 = load(o2, 1)
                                let p30 = load(e3, 0), p31 = load(o3, 0), p32 = load(e3, 1), p33 = load(o3, 1)
                                // Bᵀ down the columns…
                                let t00 = p00 - p20, t01 = p01 - p21, t02 = p02 - p22, t03 = p03 - p23
                                let t10 = p10 + p20, t11 = p11 + p21, t12 = p12 + p22, t13 = p13 + p23
                                let t20 = p20 - p10, t21 = p21 - p11, t22 = p22 - p12, t23 = p23 - p13
                                let t30 = p10 - p30, t31 = p11 - p31, t32 = p12 - p32, t33 = p13 - p33
                                // …then B along each row.
                                let lanes = min(WinogradLanes.scalarCount, tilesWide - tx)
                                let d = dst + tx
                                storeLanes(t00 - t02, d, lanes); storeLanes(t01 + t02, d + plane, lanes)
                                storeLanes(t02 - t01, d + 2 * plane, lanes); storeLanes(t01 - t03, d + 3 * plane, lanes)
                                storeLanes(t10 - t12, d + 4 * plane, lanes); storeLanes(t11 + t12, d + 5 * plane, lanes)
                                storeLanes(t12 - t11, d + 6 * plane, lanes); storeLanes(t11 - t13, d + 7 * plane, lanes)
                                storeLanes(t20 - t22, d + 8 * plane, lanes); storeLanes(t21 + t22, d + 9 * plane, lanes)
                                storeLanes(t22 - t21, d + 10 * plane, lanes); storeLanes(t21 - t23, d + 11 * plane, lanes)
                                storeLanes(t30 - t32, d + 12 * plane, lanes); storeLanes(t31 + t32, d + 13 * plane, lanes)
                                storeLanes(t32 - t31, d + 14 * plane, lanes); storeLanes(t31 - t33, d + 15 * plane, lanes)
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

/// The vector the input transform works in: 16 tiles at a time.
typealias WinogradLanes = SIMD16<Float>

/// Stores the first `count` lanes of `value` at `destination` (all 16 but at a row's last tiles).
@inline(__always)
func storeLanes(_ value: WinogradLanes, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == WinogradLanes.scalarCount {
        UnsafeMutableRawPointer(destination).storeBytes(of: value, as: WinogradLanes.self)
    } else {
        for i in 0..<count { destination[i] = value[i] }
    }
}
