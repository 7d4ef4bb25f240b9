// Each fast kernel against the obvious loop that defines it (practice 4: a naive reference beside
// every vectorised, BLAS or multithreaded kernel), at awkward sizes.

import Foundation
import TensorCore
import TestSupport
import Testing

@Suite("TensorCore kernels against naive loops")
struct KernelTests {
    @Test("linear = x·Wᵀ + b", arguments: [(1, 1, 1), (7, 13, 5), (130, 33, 70)])
    func linearMatchesLoop(_ size: (Int, Int, Int)) {
        let (rows, input, output) = size
        var random = SeededRandom(seed: 1)
        let x = random.tensor([rows, input]), w = random.tensor([output, input]), b = random.tensor([output])
        var expected = Tensor(zeros: [rows, output])
        for r in 0..<rows {
            for o in 0..<output {
                var sum = Double(b.scalars[o])
                for i in 0..<input { sum += Double(x.scalars[r * input + i]) * Double(w.scalars[o * input + i]) }
                expected.scalars[r * output + o] = Float(sum)
            }
        }
        expectClose(linear(x, weight: w, bias: b), expected, stage: "linear", tolerance: 1e-5)
    }

    @Test("parallel GEMM equals one GEMM for every transpose and both split directions",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func parallelGEMM(_ transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var random = SeededRandom(seed: 11)
        // (m ≥ n splits rows, m < n splits columns); both well above the parallel threshold.
        for (m, n, k) in [(300, 70, 40), (50, 900, 33)] {
            let a = random.tensor(ta ? [k, m] : [m, k]), b = random.tensor(tb ? [n, k] : [k, n])
            var serial = Tensor(zeros: [m, n]), parallel = Tensor(zeros: [m, n])
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    serial.withUnsafeMutableBufferPointer { cp in
                        sgemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: ap.baseAddress!, lda: ta ? m : k,
                              b: bp.baseAddress!, ldb: tb ? k : n, c: cp.baseAddress!, ldc: n)
                    }
                    parallel.withUnsafeMutableBufferPointer { cp in
                        parallelSgemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: ap.baseAddress!, lda: ta ? m : k,
                                      b: bp.baseAddress!, ldb: tb ? k : n, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            expectClose(parallel, serial, stage: "parallel GEMM \(m)×\(n)×\(k) ta=\(ta) tb=\(tb)", tolerance: 1e-6)
        }
    }

    @Test("conv2d = sum over the kernel window with zero padding", arguments: [(1, 0, 3), (1, 1, 3), (4, 0, 4), (2, 1, 3)])
    func convMatchesLoop(_ setting: (Int, Int, Int)) {
        let (stride, padding, kernel) = setting
        var random = SeededRandom(seed: 2)
        let cin = 3, cout = 5, height = 11, width = 9
        let x = random.tensor([cin, height, width]), w = random.tensor([cout, cin, kernel, kernel]), b = random.tensor([cout])
        let expected = naiveConv2d(x, weight: w, bias: b, stride: stride, padding: padding)
        expectClose(conv2d(x, weight: w, bias: b, stride: stride, padding: padding), expected, stage: "conv2d", tolerance: 1e-5)
    }

    // Sizes: odd and even edges (a half-filled last tile), a single pixel, and images wide enough
    // that the tile rows are processed in several blocks with a partial last block.
    @Test("Winograd 3×3 convolution = the sum over the window", arguments: [
        (3, 5, 11, 9), (8, 4, 10, 12), (2, 3, 1, 1), (4, 6, 41, 299), (16, 8, 40, 300), (1, 1, 2, 2049),
    ])
    func winogradMatchesLoop(_ size: (Int, Int, Int, Int)) {
        let (cin, cout, height, width) = size
        var random = SeededRandom(seed: 3)
        let x = random.tensor([cin, height, width]), w = random.tensor([cout, cin, 3, 3]), b = random.tensor([cout])
        let expected = naiveConv2d(x, weight: w, bias: b, stride: 1, padding: 1)
        expectClose(conv2d3x3(x, kernel: WinogradKernel(weight: w), bias: b), expected,
                    stage: "winograd \(size)", tolerance: 1e-5)
        expectClose(conv2d3x3(x, kernel: WinogradKernel(weight: w), bias: nil),
                    naiveConv2d(x, weight: w, bias: Tensor(zeros: [cout]), stride: 1, padding: 1),
                    stage: "winograd without bias \(size)", tolerance: 1e-5)
    }

    /// `nn.Conv2d` by definition, accumulated in Double.
    func naiveConv2d(_ x: Tensor, weight w: Tensor, bias b: Tensor, stride: Int, padding: Int) -> Tensor {
        let cin = x.shape[0], height = x.shape[1], width = x.shape[2]
        let cout = w.shape[0], kernel = w.shape[2]
        let outHeight = (height + 2 * padding - kernel) / stride + 1, outWidth = (width + 2 * padding - kernel) / stride + 1
        var expected = Tensor(zeros: [cout, outHeight, outWidth])
        for o in 0..<cout {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    var sum = Double(b.scalars[o])
                    for c in 0..<cin {
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let iy = oy * stride + ky - padding, ix = ox * stride + kx - padding
                                guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                                sum += Double(x.scalars[(c * height + iy) * width + ix]) * Double(w.scalars[((o * cin + c) * kernel + ky) * kernel + kx])
                            }
                        }
                    }
                    expected.scalars[(o * outHeight + oy) * outWidth + ox] = Float(sum)
                }
            }
        }
        return expected
    }

    @Test("layerNorm and groupNorm use biased variance and the affine")
    func norms() {
        var random = SeededRandom(seed: 3)
        let x = random.tensor([6, 40], scale: 3), w = random.tensor([40]), b = random.tensor([40])
        var expected = Tensor(zeros: [6, 40])
        for r in 0..<6 {
            let row = (0..<40).map { Double(x.scalars[r * 40 + $0]) }
            let mean = row.reduce(0, +) / 40
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 40
            for c in 0..<40 { expected.scalars[r * 40 + c] = Float((row[c] - mean) / (variance + 1e-5).squareRoot()) * w.scalars[c] + b.scalars[c] }
        }
        expectClose(layerNorm(x, weight: w, bias: b, eps: 1e-5), expected, stage: "layerNorm", tolerance: 1e-5)

        let map = random.tensor([8, 5, 3], scale: 2), gw = random.tensor([8]), gb = random.tensor([8])
        var grouped = Tensor(zeros: [8, 5, 3])
        for g in 0..<4 {
            let values = (0..<30).map { Double(map.scalars[g * 30 + $0]) }
            let mean = values.reduce(0, +) / 30
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 30
            for i in 0..<30 {
                let c = g * 2 + i / 15
                grouped.scalars[g * 30 + i] = Float((values[i] - mean) / (variance + 1e-5).squareRoot()) * gw.scalars[c] + gb.scalars[c]
            }
        }
        expectClose(groupNorm(map, groups: 4, weight: gw, bias: gb, eps: 1e-5), grouped, stage: "groupNorm", tolerance: 1e-5)
    }

    @Test("a residual add fused with layerNorm equals += then layerNorm, bit for bit")
    func residualNorms() {
        var random = SeededRandom(seed: 4)
        let x = random.tensor([300, 96], scale: 3), y = random.tensor([300, 96]), w = random.tensor([96]), b = random.tensor([96])
        var sum = x
        sum += y
        let expected = layerNorm(sum, weight: w, bias: b, eps: 1e-5)
        var preNorm = x
        let normed = addThenLayerNorm(&preNorm, y, weight: w, bias: b, eps: 1e-5)
        #expect(preNorm == sum, "addThenLayerNorm leaves x + residual in x")
        #expect(normed == expected, "addThenLayerNorm returns the norm of the sum")
        var postNorm = x
        layerNormOfSum(&postNorm, adding: y, weight: w, bias: b, eps: 1e-5)
        #expect(postNorm == expected, "layerNormOfSum")
    }

    @Test("bilinear resize follows PyTorch's align_corners=False indexing")
    func bilinear() {
        // 2×2 → 4×4 has a closed form: edges clamp, inner samples at 1/4 and 3/4.
        let x = Tensor(shape: [1, 2, 2], scalars: [0, 1, 2, 3])
        let y = resizeBilinear(x, height: 4, width: 4)
        let expected: [Float] = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]
        #expect(y.scalars == expected)
        // Downsampling by 8 averages the two centre taps of each block on each axis.
        var random = SeededRandom(seed: 4)
        let big = random.tensor([2, 16, 24])
        let small = resizeBilinear(big, height: 2, width: 3)
        for c in 0..<2 {
            for oy in 0..<2 {
                for ox in 0..<3 {
                    let y0 = oy * 8 + 3, x0 = ox * 8 + 3
                    func v(_ y: Int, _ x: Int) -> Float { big.scalars[(c * 16 + y) * 24 + x] }
                    let expectedValue = 0.25 * (v(y0, x0) + v(y0, x0 + 1) + v(y0 + 1, x0) + v(y0 + 1, x0 + 1))
                    #expect(abs(small.scalars[(c * 2 + oy) * 3 + ox] - expectedValue) < 1e-5)
                }
            }
        }
    }

    @Test("deformable sampling is bilinear with zero padding outside each level")
    func deformableSampling() {
        // One level 2×3, one head of width 1: values 1…6; sample at pixel centres and off the edge.
        let levels = [FeatureLevel(height: 2, width: 3, start: 0)]
        let value = Tensor(shape: [6, 1], scalars: [1, 2, 3, 4, 5, 6])
        // Normalised (x, y): centre of pixel (1, 0); midway between (0,0) and (1,1); half a pixel left of the image.
        let locations = Tensor(shape: [1, 3, 1, 1, 2], scalars: [1.5 / 3, 0.5 / 2, 1.0 / 3, 1.0 / 2, 0, 0.5 / 2])
        let weights = Tensor(shape: [1, 3, 1, 1], scalars: [1, 1, 2])
        let out = multiScaleDeformableSample(value: value, levels: levels, locations: locations, weights: weights, heads: 1)
        // (3) half-pixel left: x = −0.5 → corners −1 (dropped, weight 0.5) and 0 (value 1, weight 0.5); ×2.
        expectClose(out, Tensor(shape: [3, 1], scalars: [2, 3, 1]), stage: "deformable sampling", tolerance: 1e-6)
    }

    // Heads of width 32 take a register-accumulating path; width 8 the generic loop. Locations
    // include points outside every level and points straddling the edges.
    @Test("deformable sampling = weighted bilinear taps summed per head", arguments: [32, 8])
    func deformableSamplingMatchesLoop(_ headDim: Int) {
        var random = SeededRandom(seed: 5)
        let heads = 3, points = 2, queries = 23, width = heads * headDim
        let levels = [FeatureLevel(height: 5, width: 7, start: 0), FeatureLevel(height: 3, width: 2, start: 35)]
        let value = random.tensor([41, width])
        var locations = random.tensor([queries, heads, levels.count, points, 2])
        for i in locations.scalars.indices { locations.scalars[i] = 0.5 + 0.7 * locations.scalars[i] }   // ≈ −0.2 … 1.2
        let weights = random.tensor([queries, heads, levels.count, points])
        var expected = Tensor(zeros: [queries, width])
        for q in 0..<queries {
            for h in 0..<heads {
                for (l, level) in levels.enumerated() {
                    for p in 0..<points {
                        let index = ((q * heads + h) * levels.count + l) * points + p
                        let x = locations.scalars[2 * index] * Float(level.width) - 0.5
                        let y = locations.scalars[2 * index + 1] * Float(level.height) - 0.5
                        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
                        for (cx, cy) in [(x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)]
                        where cx >= 0 && cx < level.width && cy >= 0 && cy < level.height {
                            let tap = (1 - abs(x - Float(cx))) * (1 - abs(y - Float(cy))) * weights.scalars[index]
                            for d in 0..<headDim {
                                expected.scalars[q * width + h * headDim + d] +=
                                    tap * value.scalars[(level.start + cy * level.width + cx) * width + h * headDim + d]
                            }
                        }
                    }
                }
            }
        }
        // The kernel takes them head-major: [heads, Nq, L, P(, 2)].
        func headMajor(_ x: Tensor, pair: Int) -> Tensor {
            let perQuery = levels.count * points * pair
            var out = x
            for q in 0..<queries {
                for h in 0..<heads {
                    for i in 0..<perQuery {
                        out.scalars[(h * queries + q) * perQuery + i] = x.scalars[(q * heads + h) * perQuery + i]
                    }
                }
            }
            return out.reshaped([heads, queries] + Array(x.shape.dropFirst(2)))
        }
        let sampled = multiScaleDeformableSample(value: value, levels: levels, locations: headMajor(locations, pair: 2),
                                                 weights: headMajor(weights, pair: 1), heads: heads)
        expectClose(sampled, expected, stage: "deformable sampling, head width \(headDim)", tolerance: 1e-5)
    }

    @Test("softmax rows sum to one and transposes round-trip")
    func softmaxAndTranspose() {
        var random = SeededRandom(seed: 6)
        let x = random.tensor([37, 53], scale: 20)
        let s = softmax(x)
        for r in 0..<37 { #expect(abs((0..<53).reduce(Float(0)) { $0 + s.scalars[r * 53 + $1] } - 1) < 1e-5) }
        #expect(transposed(transposed(x)) == x)
        #expect(transposed(x).scalars[5 * 37 + 3] == x.scalars[3 * 53 + 5])
    }
}

@Suite("Vector math against libm")
struct VectorMathTests {
    @Test("fastExp within 2 ulp of expf, exactly 0 at −∞")
    func exponential() {
        var worst: Float = 0
        for x in stride(from: Float(-87), to: 88, by: 0.0213) {
            let reference = expf(x)
            worst = max(worst, abs(fastExp(x) - reference) / reference.ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(fastExp(-.infinity) == 0)
        #expect(fastExp(-100) == 0)
    }

    @Test("fastErf within 3e-7 of erff (2.5 ulp where |erf| ≈ 1)")
    func errorFunction() {
        var worst: Float = 0
        for x in stride(from: Float(-6), to: 6, by: 0.0031) { worst = max(worst, abs(fastErf(x) - erff(x))) }
        #expect(worst <= 3e-7, "worst error \(worst)")
    }

    @Test("GELU and softmax through the vector paths agree with the scalar definitions")
    func activations() {
        var random = SeededRandom(seed: 21)
        var x = random.tensor([7, 37], scale: 6)
        let original = x
        x.applyGELU()
        for i in 0..<x.count {
            let v = original.scalars[i]
            #expect(abs(x.scalars[i] - 0.5 * v * (1 + erff(v * 0.70710678))) <= 2e-6 * max(1, abs(v)))
        }
        var masked = random.tensor([3, 40], scale: 5)
        for i in stride(from: 0, to: masked.count, by: 3) { masked.scalars[i] = -.infinity }
        let probabilities = softmax(masked)
        for r in 0..<3 {
            let row = (0..<40).map { Double(masked.scalars[r * 40 + $0]) }
            let top = row.max()!
            let total = row.map { Foundation.exp($0 - top) }.reduce(0, +)
            for c in 0..<40 {
                #expect(abs(Double(probabilities.scalars[r * 40 + c]) - Foundation.exp(row[c] - top) / total) < 1e-6)
            }
        }
    }
}
