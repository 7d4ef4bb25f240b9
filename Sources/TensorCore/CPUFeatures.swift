// What vector instructions this CPU runs and the OS enables, read with CPUID/XGETBV: the yardstick
// for the BLAS kernels (BLASKernel.swift), which must use the widest of them.

import CCPUID

/// x86-64 vector instruction tiers, weakest first, as BLAS kernels are written for them.
public enum VectorISA: Int, Comparable, Sendable, CustomStringConvertible {
    case sse = 0      // SSE2/SSE3 (Prescott … Nehalem kernels)
    case avx = 1      // 256-bit, no FMA (Sandybridge, Bulldozer kernels)
    case avx2 = 2     // AVX2 + FMA3 (Haswell, Zen kernels)
    case avx512 = 3   // AVX-512 F+CD+BW+DQ+VL (SkylakeX, Cooperlake kernels)

    public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }
}

public struct CPUFeatures: Sendable, Equatable {
    /// The widest tier whose instructions the CPU has and whose registers the OS saves.
    public var isa: VectorISA
    /// AVX512_BF16 (Cooper Lake, Sapphire Rapids, Zen 4+): OpenBLAS's Cooperlake core needs it.
    public var avx512BF16: Bool

    public init(isa: VectorISA, avx512BF16: Bool) {
        self.isa = isa
        self.avx512BF16 = avx512BF16
    }

    /// This machine, read once.
    public static let current: CPUFeatures = detect()

    static func detect() -> CPUFeatures {
        #if arch(x86_64)
        func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> [UInt32] {
            var regs: [UInt32] = [0, 0, 0, 0]
            regs.withUnsafeMutableBufferPointer { maskscope_cpuid(leaf, subleaf, $0.baseAddress) }
            return regs
        }
        func bit(_ value: UInt32, _ index: Int) -> Bool { value & (1 << UInt32(index)) != 0 }
        let maxLeaf = cpuid(0)[0]
        let leaf1 = cpuid(1)
        // Instructions alone are not enough: a kernel using registers the OS does not save would
        // corrupt them at the next context switch (an old kernel, or a hypervisor that hides them).
        guard bit(leaf1[2], 27) else { return CPUFeatures(isa: .sse, avx512BF16: false) }   // OSXSAVE
        let xcr0 = maskscope_xgetbv0()
        let osSavesYMM = xcr0 & 0x6 == 0x6             // XMM + YMM
        let osSavesZMM = xcr0 & 0xE6 == 0xE6           // + opmask, ZMM0-15 upper, ZMM16-31
        let avx = bit(leaf1[2], 28) && osSavesYMM
        let fma = bit(leaf1[2], 12)
        let leaf7 = maxLeaf >= 7 ? cpuid(7) : [0, 0, 0, 0]
        let ebx7 = leaf7[1]
        let avx2 = avx && fma && bit(ebx7, 5)
        // F, DQ, CD, BW, VL: the set OpenBLAS's SkylakeX kernels are compiled for.
        let avx512 = avx2 && osSavesZMM && [16, 17, 28, 30, 31].allSatisfy { bit(ebx7, $0) }
        let bf16 = avx512 && leaf7[0] >= 1 && bit(cpuid(7, 1)[0], 5)
        let isa: VectorISA = avx512 ? .avx512 : avx2 ? .avx2 : avx ? .avx : .sse
        return CPUFeatures(isa: isa, avx512BF16: bf16)
        #else
        return CPUFeatures(isa: .sse, avx512BF16: false)
        #endif
    }
}
