// nn.Linear as the model runs it: through the packed-weight kernel where the CPU has one, equal to
// the same layer on OpenBLAS.

@testable import Mask2Former
import TensorCore
import TestSupport
import Testing

@Suite("Linear layers")
struct LinearLayerTests {
    @Test("a linear layer runs the packed kernel for this CPU and equals OpenBLAS's product")
    func packedEqualsOpenBLAS() throws {
        var random = SeededRandom(seed: 21)
        let weight = random.tensor([96, 384]), bias = random.tensor([96]), x = random.tensor([2, 300, 384])
        let layer = Linear(weight: weight, bias: bias)
        #expect(layer.packedWeight?.isa == PackedGEMM.isa)
        if PackedGEMM.isa != nil { #expect(layer.packedWeight != nil) }
        expectClose(layer(x), linear(x, weight: weight, bias: bias), stage: "packed vs OpenBLAS", tolerance: 1e-5)
        #expect(layer.weight == weight, "the weight unpacked again is the one loaded")
        #expect(layer.inputWidth == 384 && layer.outputWidth == 96)
    }

    @Test("parts loaded for fusing are not packed; the fused layer is")
    func fusedPacksOnce() {
        var random = SeededRandom(seed: 22)
        let parts = (0..<3).map { _ in Linear(weight: random.tensor([32, 64]), bias: random.tensor([32]), packing: false) }
        #expect(parts.allSatisfy { $0.packedWeight == nil })
        let fused = Linear.fused(parts)
        #expect(fused.packedWeight?.outputs == (PackedGEMM.isa == nil ? nil : 96))
        let x = random.tensor([50, 64])
        let separate = parts.map { linear(x, weight: $0.weight, bias: $0.bias) }
        let together = fused(x)
        for (i, part) in separate.enumerated() {
            let columns = Tensor(shape: [50, 32], scalars: (0..<50).flatMap { r in together.scalars[(r * 96 + i * 32)..<(r * 96 + i * 32 + 32)] })
            expectClose(columns, part, stage: "fused part \(i)", tolerance: 1e-5)
        }
    }
}
