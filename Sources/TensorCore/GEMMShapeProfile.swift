// Wall time per GEMM shape, for `maskscope bench --gemm-shapes`: which products run below the BLAS
// ceiling and how much of a forward pass is GEMM at all. Off unless started (one atomic load per GEMM).

import Synchronization

public struct GEMMShape: Hashable, Sendable, CustomStringConvertible {
    public var m: Int, n: Int, k: Int
    public var transposeA: Bool, transposeB: Bool
    /// Run by the packed-weight kernels (PackedGEMM.swift) rather than OpenBLAS.
    public var packedWeights = false
    public var description: String {
        "\(m)×\(n)×\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")\(packedWeights ? " packed" : "")"
    }
}

public struct GEMMShapeTiming: Sendable {
    public var shape: GEMMShape
    public var calls: Int
    public var seconds: Double
    public var gflopPerSecond: Double { Double(2 * shape.m * shape.n * shape.k * calls) / seconds / 1e9 }
}

/// Times `parallelSgemm` and `packedLinear` calls, the model's GEMMs except those a kernel runs inside its own parallel
/// loop (the Winograd convolution's, per-head attention products); those count with their kernel.
public enum GEMMShapeProfile {
    private static let recording = Atomic<Bool>(false)
    private static let table = Mutex<[GEMMShape: (calls: Int, nanoseconds: UInt64)]>([:])

    static var isRecording: Bool { recording.load(ordering: .relaxed) }

    public static func start() {
        table.withLock { $0 = [:] }
        recording.store(true, ordering: .relaxed)
    }

    /// Stops recording; the shapes, most time first.
    public static func stop() -> [GEMMShapeTiming] {
        recording.store(false, ordering: .relaxed)
        return table.withLock { entries in
            entries.map { GEMMShapeTiming(shape: $0.key, calls: $0.value.calls, seconds: Double($0.value.nanoseconds) / 1e9) }
        }.sorted { $0.seconds > $1.seconds }
    }

    static func record(_ shape: GEMMShape, nanoseconds: UInt64) {
        table.withLock { entries in
            let entry = entries[shape] ?? (0, 0)
            entries[shape] = (entry.calls + 1, entry.nanoseconds + nanoseconds)
        }
    }
}
