// Linear layers' GEMMs on weights packed once at load (the kernels are in Sources/CGEMM): OpenBLAS
// re-packs the weight on every call and ran the model's narrow shapes at ~73 % of the FMA peak
// (README, "Speed"). Everything else GEMM-shaped still goes to OpenBLAS (MatMul.swift).

import CGEMM
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

public enum PackedGEMM {
    /// The environment variable that turns the packed kernels off (`MASKSCOPE_GEMM=openblas`), to
    /// compare against OpenBLAS on the same build.
    public static let environmentVariable = "MASKSCOPE_GEMM"

    /// The kernels' instruction set on this CPU, or nil (no AVX2+FMA, not x86-64, or turned off):
    /// linear layers then use OpenBLAS as every other product does.
    public static let isa: VectorISA? = kernelISA(
        for: .current, setting: getenv(environmentVariable).map { String(cString: $0) })

    /// The widest kernel a CPU runs; `setting` "openblas" turns them off.
    public static func kernelISA(for cpu: CPUFeatures, setting: String?) -> VectorISA? {
        if setting?.lowercased() == "openblas" { return nil }
        switch cpu.isa {
        case .avx512: return .avx512
        case .avx2: return .avx2
        case .avx, .sse: return nil
        }
    }

    /// One line for `maskscope bench`.
    public static var report: String {
        guard let isa else {
            return "linear layers: OpenBLAS (\(getenv(environmentVariable) != nil ? "\(environmentVariable) set" : "no packed kernel for this CPU"))"
        }
        let rows = maskscope_gemm_tile_rows(Int32(isa.rawValue)), width = maskscope_gemm_panel_width(Int32(isa.rawValue))
        return "linear layers: packed weights, \(isa) kernel \(rows)×\(width) (chosen by CPUID)"
    }
}

/// An `nn.Linear` weight `[outputs, inputs]` packed for one instruction set's kernel: column panels,
/// 64-byte aligned, zero padded to the panel width. Immutable once built, so shared across threads.
public final class PackedWeight: @unchecked Sendable {
    public let outputs: Int
    public let inputs: Int
    public let isa: VectorISA
    let storage: UnsafeMutableRawPointer

    /// Packs `weight` for `isa` (default: this CPU's kernel); nil where there is no kernel.
    public init?(_ weight: Tensor, isa: VectorISA? = PackedGEMM.isa) {
        guard let isa, weight.rank == 2, weight.shape[0] > 0, weight.shape[1] > 0 else { return nil }
        let code = Int32(isa.rawValue)
        let count = maskscope_gemm_packed_count(code, weight.shape[0], weight.shape[1])
        guard count > 0 else { return nil }
        outputs = weight.shape[0]
        inputs = weight.shape[1]
        self.isa = isa
        storage = .allocate(byteCount: count * MemoryLayout<Float>.size, alignment: 64)
        let packed = storage.bindMemory(to: Float.self, capacity: count)
        weight.withUnsafeBufferPointer { w in
            maskscope_gemm_pack(code, w.baseAddress!, outputs, inputs, inputs, packed)
        }
    }

    deinit { storage.deallocate() }

    /// The weight `[outputs, inputs]` back from its panels.
    public func unpacked() -> Tensor {
        let width = maskscope_gemm_panel_width(Int32(isa.rawValue))
        let packed = UnsafePointer(storage.assumingMemoryBound(to: Float.self))
        return Tensor(shape: [outputs, inputs]) { w in
            for o in 0..<outputs {
                let panel = packed + (o / width) * width * inputs + o % width
                for i in 0..<inputs { w[o * inputs + i] = panel[i * width] }
            }
        }
    }
}

/// How `packedLinear` shares a product between the workers. Every element is summed in the same order
/// whatever the split, so results are bit-identical across splits (PackedGEMMTests checks it).
public enum PackedGEMMSplit: Sendable, CaseIterable {
    /// Rows when there are at least two micro-kernel tiles of them per worker, else the weight's panels;
    /// small products on the calling thread.
    case automatic
    case serial, rows, panels
}

/// `x [..., inputs] · weightᵀ + bias` with the packed kernels, on all cores.
public func packedLinear(_ x: Tensor, weight: PackedWeight, bias: Tensor?, split: PackedGEMMSplit = .automatic) -> Tensor {
    precondition(x.shape.last == weight.inputs, "linear: input \(x.shape) does not match weight [\(weight.outputs), \(weight.inputs)]")
    precondition(bias == nil || bias!.count == weight.outputs, "linear: bias of \(bias!.count) for \(weight.outputs) outputs")
    let rows = x.count / weight.inputs
    var outShape = x.shape
    outShape[outShape.count - 1] = weight.outputs
    let code = Int32(weight.isa.rawValue)
    let tileRows = maskscope_gemm_tile_rows(code), width = maskscope_gemm_panel_width(code)
    let panels = (weight.outputs + width - 1) / width, rowTiles = (rows + tileRows - 1) / tileRows
    let started = GEMMShapeProfile.isRecording ? DispatchTime.now().uptimeNanoseconds : 0
    gemmOperationCounter.add(2 * rows * weight.outputs * weight.inputs, ordering: .relaxed)
    let result = Tensor(shape: outShape) { y in
        guard rows > 0 else { return }
        let packed = UnsafePointer(weight.storage.assumingMemoryBound(to: Float.self))
        let out = SendablePointer(y.baseAddress!)
        bias.withUnsafeBufferPointerIfPresent { biasPointer in
            x.withUnsafeBufferPointer { xp in
                func run(rows r: Range<Int>, panels p: Range<Int>) {
                    let status = maskscope_gemm_packed(code, weight.outputs, weight.inputs, xp.baseAddress!, weight.inputs,
                                                       packed, biasPointer, out.pointer, weight.outputs,
                                                       r.lowerBound, r.upperBound, p.lowerBound, p.upperBound)
                    precondition(status == 0, "packed GEMM: no memory for its \(status == -2 ? "workspace" : "kernel") (status \(status))")
                }
                let workers = parallelWorkerCount
                var split = split
                if split == .automatic {
                    split = rows * weight.outputs * weight.inputs < 1 << 18 || workers == 1 ? .serial
                        : rowTiles >= 2 * workers ? .rows : .panels
                }
                switch split {
                case .serial, .automatic:
                    run(rows: 0..<rows, panels: 0..<panels)
                case .rows:
                    // Whole tiles per worker, one block each (as parallelSgemm: more blocks re-read the weights).
                    parallelFor(rowTiles, minimumChunk: max(1, rowTiles / workers)) { tiles in
                        run(rows: (tiles.lowerBound * tileRows)..<min(rows, tiles.upperBound * tileRows), panels: 0..<panels)
                    }
                case .panels:
                    parallelFor(panels, minimumChunk: max(1, panels / workers)) { p in run(rows: 0..<rows, panels: p) }
                }
            }
        }
    }
    if started != 0 {
        GEMMShapeProfile.record(GEMMShape(m: rows, n: weight.outputs, k: weight.inputs, transposeA: false, transposeB: true,
                                          packedWeights: true),
                                nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
    }
    return result
}
