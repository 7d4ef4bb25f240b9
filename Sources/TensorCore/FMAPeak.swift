// The machine's fp32 fused multiply-add peak, measured: the hard ceiling for any GEMM, which
// `maskscope bench --gemm-shapes` reports each shape against. The Swift twin of Tools/fma_peak.c.

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

public enum FMAPeak {
    /// GFLOP/s (2 per lane per FMA) of all workers together: each runs 12 independent chains of
    /// 16-lane vector FMAs that stay in registers (enough chains to cover FMA latency × pipes on
    /// current x86 cores; LLVM emits them as 512-bit FMAs on AVX-512, pairs of 256-bit ones on AVX2).
    /// Timed in each thread's CPU time, so that on a shared machine descheduled time does not count;
    /// each thread runs blocks of `iterations` until `seconds` of its CPU time have passed.
    public static func measure(seconds budget: Double = 0.25, iterations: Int = 1_000_000) -> Double {
        let rates = UnsafeMutableBufferPointer<Double>.allocate(capacity: parallelWorkerCount)
        defer { rates.deallocate() }
        let out = SendablePointer(rates.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: parallelWorkerCount) { worker in
            let start = threadCPUSeconds()
            var blocks = 0, sink: Float = 0, seconds = 0.0
            repeat {
                sink += chains(iterations)
                blocks += 1
                seconds = threadCPUSeconds() - start
            } while seconds < budget
            out.pointer[worker] = sink.isNaN ? 0 : 12 * 16 * 2 * Double(blocks * iterations) / seconds / 1e9
        }
        return rates.reduce(0, +)
    }

    @inline(never)
    static func chains(_ iterations: Int) -> Float {
        typealias V = SIMD16<Float>
        var a0 = V(repeating: 0), a1 = V(repeating: 1), a2 = V(repeating: 2), a3 = V(repeating: 3)
        var a4 = V(repeating: 4), a5 = V(repeating: 5), a6 = V(repeating: 6), a7 = V(repeating: 7)
        var a8 = V(repeating: 8), a9 = V(repeating: 9), a10 = V(repeating: 10), a11 = V(repeating: 11)
        let b = V(repeating: 1.0000001), c = V(repeating: 1e-7)
        for _ in 0..<iterations {
            a0 = c.addingProduct(a0, b); a1 = c.addingProduct(a1, b); a2 = c.addingProduct(a2, b)
            a3 = c.addingProduct(a3, b); a4 = c.addingProduct(a4, b); a5 = c.addingProduct(a5, b)
            a6 = c.addingProduct(a6, b); a7 = c.addingProduct(a7, b); a8 = c.addingProduct(a8, b)
            a9 = c.addingProduct(a9, b); a10 = c.addingProduct(a10, b); a11 = c.addingProduct(a11, b)
        }
        // The sum keeps the loop from being optimised away.
        return ((a0 + a1 + a2 + a3) + (a4 + a5 + a6 + a7) + (a8 + a9 + a10 + a11)).sum()
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
