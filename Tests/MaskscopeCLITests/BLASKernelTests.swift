// The kernels the built maskscope runs its GEMMs with, in the user's default environment: on a CPU
// with AVX-512 or AVX2 they must use it (issue 13: OpenBLAS fell back to SSE3 on an unknown Xeon).

import Foundation
import TensorCore
import TestSupport
import Testing

@Suite("BLAS kernels of the built binary")
struct BLASKernelCLITests {
    /// The environment a user has: nothing chosen for OpenBLAS, no restart in progress.
    var defaultEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE", BLASKernel.restartVariable, BLASKernel.pretendVariable,
                     PackedGEMM.environmentVariable] {
            environment[name] = nil
        }
        return environment
    }

    /// The CPU's tier from the kernel's own flags (/proc/cpuinfo), independent of the CPUID code under test.
    var cpuISAFromKernel: VectorISA? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return .avx512 }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return .avx2 }
        if flags.contains("avx") { return .avx }
        return .sse
    }

    /// "BLAS Cooperlake (AVX-512 kernels; CPU has AVX-512) · …" → ("Cooperlake", that line), and the
    /// second line: the linear layers' kernel.
    func kernel(_ environment: [String: String]) throws -> (core: String, line: String, linearLayers: String) {
        let result = try runMaskscope(["bench", "--kernel"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let line = lines.first ?? ""
        let core = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        return (core, line, lines.dropFirst().first ?? "")
    }

    @Test("with nothing set, linear layers run the packed-weight kernel for the CPU's widest instructions")
    func linearLayersUseTheCPUsKernel() throws {
        let cpu = try #require(cpuISAFromKernel)
        var environment = defaultEnvironment
        let (_, _, linearLayers) = try kernel(environment)
        if cpu >= .avx2 {
            #expect(linearLayers.hasPrefix("linear layers: packed weights, \(cpu) kernel"), "\(linearLayers)")
        } else {
            #expect(linearLayers.hasPrefix("linear layers: OpenBLAS"), "\(linearLayers)")
        }
        environment[PackedGEMM.environmentVariable] = "openblas"
        let (_, _, turnedOff) = try kernel(environment)
        #expect(turnedOff == "linear layers: OpenBLAS (\(PackedGEMM.environmentVariable) set)", "\(turnedOff)")
    }

    @Test("with nothing set, the kernels use the CPU's widest vector instructions")
    func defaultEnvironmentMatchesCPU() throws {
        let cpu = try #require(cpuISAFromKernel)
        #expect(CPUFeatures.current.isa == cpu, "CPUID says \(CPUFeatures.current.isa), /proc/cpuinfo says \(cpu)")
        let (core, line, _) = try kernel(defaultEnvironment)
        #expect(BLASKernel.isa(ofCore: core) >= cpu, "\(line)")
        #expect(!line.contains("WARNING"), "\(line)")
    }

    @Test("when OpenBLAS picks weaker kernels, maskscope restarts itself once with the right ones")
    func weakPickRestarts() throws {
        let cpu = try #require(cpuISAFromKernel)
        guard cpu >= .avx2 else { return }   // an SSE-only CPU has nothing stronger to force
        var environment = defaultEnvironment
        environment[BLASKernel.pretendVariable] = "Prescott"
        let (core, line, _) = try kernel(environment)
        #expect(BLASKernel.isa(ofCore: core) == cpu, "\(line)")
        #expect(line.contains("OpenBLAS picked Prescott; maskscope restarted with OPENBLAS_CORETYPE=\(core)"), "\(line)")
    }

    @Test("OPENBLAS_CORETYPE set by the user is respected and named")
    func userChoiceRespected() throws {
        var environment = defaultEnvironment
        environment["OPENBLAS_CORETYPE"] = "Prescott"
        let (core, line, _) = try kernel(environment)
        #expect(core == "Prescott", "\(line)")
        #expect(line.contains("OPENBLAS_CORETYPE=Prescott set in the environment"), "\(line)")
    }
}
