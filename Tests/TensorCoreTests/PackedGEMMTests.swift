// The packed-weight GEMM (TensorCore/PackedGEMM, Sources/CGEMM) against the loop that defines a linear
// layer, for every kernel this CPU can run, at sizes that hit each edge of its blocking.

import Foundation
import TensorCore
import TestSupport
import Testing

@Suite("Packed-weight GEMM")
struct PackedGEMMTests {
    /// The kernels this machine can run (the AVX-512 machine also runs the AVX2 one).
    static let kernels: [VectorISA] = [.avx2, .avx512].filter { $0 <= CPUFeatures.current.isa }

    /// x·Wᵀ + b in double precision.
    static func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let rows = x.shape[0], inputs = x.shape[1], outputs = w.shape[0]
        let xs = x.scalars, ws = w.scalars, bs = b?.scalars
        var out = [Float](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var sum = Double(bs?[o] ?? 0)
                for i in 0..<inputs { sum += Double(xs[r * inputs + i]) * Double(ws[o * inputs + i]) }
                out[r * outputs + o] = Float(sum)
            }
        }
        return Tensor(shape: [rows, outputs], scalars: out)
    }

    // (rows, inputs, outputs): one element; partial row tiles and panels; inputs past one K block (384 for
    // AVX-512, 256 for AVX2) with a remainder; more rows than one packed block (480); few rows, many
    // panels (split by panels); a Swin-like shape.
    static let sizes = [(1, 1, 1), (13, 385, 33), (25, 800, 65), (500, 70, 40), (7, 33, 900), (96, 96, 288)]

    @Test("equals x·Wᵀ + b for every kernel, with and without bias", arguments: sizes)
    func matchesLoop(_ size: (Int, Int, Int)) throws {
        try #require(!Self.kernels.isEmpty, "no packed kernel on this CPU (\(CPUFeatures.current.isa)): nothing to test")
        let (rows, inputs, outputs) = size
        var random = SeededRandom(seed: 7)
        let x = random.tensor([rows, inputs]), w = random.tensor([outputs, inputs]), b = random.tensor([outputs])
        for isa in Self.kernels {
            let packed = try #require(PackedWeight(w, isa: isa))
            for bias in [b, nil] {
                expectClose(packedLinear(x, weight: packed, bias: bias), Self.reference(x, w, bias),
                            stage: "\(isa) \(rows)×\(inputs)→\(outputs) bias=\(bias != nil)", tolerance: 1e-5)
            }
        }
    }

    @Test("every split gives the same bits")
    func splitsAgree() throws {
        try #require(!Self.kernels.isEmpty, "no packed kernel on this CPU")
        var random = SeededRandom(seed: 8)
        for (rows, inputs, outputs) in [(300, 400, 70), (50, 33, 900)] {
            let x = random.tensor([rows, inputs]), w = random.tensor([outputs, inputs]), b = random.tensor([outputs])
            for isa in Self.kernels {
                let packed = try #require(PackedWeight(w, isa: isa))
                let serial = packedLinear(x, weight: packed, bias: b, split: .serial)
                for split in [PackedGEMMSplit.rows, .panels, .automatic] {
                    #expect(packedLinear(x, weight: packed, bias: b, split: split) == serial, "\(isa) \(split) \(rows)×\(outputs)")
                }
            }
        }
    }

    @Test("leading dimensions: rows of a higher-rank input are the product of its leading sizes")
    func higherRankInput() throws {
        let isa = try #require(Self.kernels.last, "no packed kernel on this CPU")
        var random = SeededRandom(seed: 9)
        let x = random.tensor([2, 3, 5, 40]), w = random.tensor([24, 40]), b = random.tensor([24])
        let packed = try #require(PackedWeight(w, isa: isa))
        let y = packedLinear(x, weight: packed, bias: b)
        #expect(y.shape == [2, 3, 5, 24])
        expectClose(y.reshaped([30, 24]), Self.reference(x.reshaped([30, 40]), w, b), stage: "rank 4", tolerance: 1e-5)
    }

    @Test("the kernel in use is the widest this CPU runs (issue 13)")
    func kernelMatchesCPU() throws {
        let cpu = CPUFeatures.current
        try #require(cpu.isa >= .avx2, "CPU below AVX2: linear layers use OpenBLAS, nothing to check")
        try #require(getenv(PackedGEMM.environmentVariable) == nil, "\(PackedGEMM.environmentVariable) set: kernels turned off on purpose")
        #expect(PackedGEMM.isa == cpu.isa)
        #expect(PackedGEMM.kernelISA(for: CPUFeatures(isa: .avx2, avx512BF16: false), setting: nil) == .avx2)
        #expect(PackedGEMM.kernelISA(for: CPUFeatures(isa: .avx, avx512BF16: false), setting: nil) == nil)
        #expect(PackedGEMM.kernelISA(for: cpu, setting: "OpenBLAS") == nil)
    }
}
