// The BLAS kernel decision (BLASKernel.plan) in every case that matters, including the issue-13 CPU:
// an AVX-512 Xeon that Debian's OpenBLAS 0.3.21 does not know and runs with Prescott kernels.

import TensorCore
import Testing

@Suite("choosing the BLAS kernels")
struct BLASKernelTests {
    let xeon = CPUFeatures(isa: .avx512, avx512BF16: true)       // family 6 model 207
    let skylake = CPUFeatures(isa: .avx512, avx512BF16: false)
    let zen3 = CPUFeatures(isa: .avx2, avx512BF16: false)

    @Test("a weaker pick restarts with the strongest matching core")
    func weakerPickRestarts() {
        #expect(BLASKernel.plan(cpu: xeon, loadedCore: "Prescott", honoursCoreType: true, environment: [:])
                == .restart(core: "Cooperlake", marker: "Prescott:Cooperlake"))
        #expect(BLASKernel.plan(cpu: skylake, loadedCore: "Haswell", honoursCoreType: true, environment: [:])
                == .restart(core: "SkylakeX", marker: "Haswell:SkylakeX"))
        #expect(BLASKernel.plan(cpu: zen3, loadedCore: "Sandybridge", honoursCoreType: true, environment: [:])
                == .restart(core: "Haswell", marker: "Sandybridge:Haswell"))
    }

    @Test("a matching or stronger pick is kept")
    func matchingPickKept() {
        #expect(BLASKernel.plan(cpu: xeon, loadedCore: "SkylakeX", honoursCoreType: true, environment: [:]) == .keep(.openBLAS))
        #expect(BLASKernel.plan(cpu: zen3, loadedCore: "Zen", honoursCoreType: true, environment: [:]) == .keep(.openBLAS))
        #expect(BLASKernel.plan(cpu: CPUFeatures(isa: .sse, avx512BF16: false), loadedCore: "Nehalem",
                                honoursCoreType: true, environment: [:]) == .keep(.openBLAS))
    }

    @Test("the user's OPENBLAS_CORETYPE is respected, even when weaker")
    func userSettingRespected() {
        #expect(BLASKernel.plan(cpu: xeon, loadedCore: "Prescott", honoursCoreType: true,
                                environment: ["OPENBLAS_CORETYPE": "Prescott"]) == .keep(.user("Prescott")))
    }

    @Test("a restarted process never restarts again")
    func noRestartLoop() {
        let restarted = ["OPENBLAS_CORETYPE": "Cooperlake", BLASKernel.restartVariable: "Prescott:Cooperlake"]
        // Even if the forced core did not load (the build lacks it), the answer is keep.
        #expect(BLASKernel.plan(cpu: xeon, loadedCore: "Prescott", honoursCoreType: true, environment: restarted)
                == .keep(.restarted(picked: "Prescott", forced: "Cooperlake")))
        var pretending = restarted
        pretending[BLASKernel.pretendVariable] = "Prescott"
        #expect(BLASKernel.plan(cpu: xeon, loadedCore: "Cooperlake", honoursCoreType: true, environment: pretending)
                == .keep(.restarted(picked: "Prescott", forced: "Cooperlake")))
    }

    @Test("an OpenBLAS built for one core is not restarted")
    func fixedBuildKept() {
        #expect(BLASKernel.plan(cpu: xeon, loadedCore: "Haswell", honoursCoreType: false, environment: [:]) == .keep(.fixedBuild))
    }

    @Test("every core OpenBLAS 0.3.21 can force maps to its instruction set")
    func coreISAs() {
        #expect(BLASKernel.isa(ofCore: "Cooperlake") == .avx512)
        #expect(BLASKernel.isa(ofCore: "SkylakeX") == .avx512)
        #expect(BLASKernel.isa(ofCore: "Haswell") == .avx2)
        #expect(BLASKernel.isa(ofCore: "Zen") == .avx2)
        #expect(BLASKernel.isa(ofCore: "Sandybridge") == .avx)
        #expect(BLASKernel.isa(ofCore: "Prescott") == .sse)
        #expect(BLASKernel.isa(ofCore: "Unknown") == .sse)
    }
}
