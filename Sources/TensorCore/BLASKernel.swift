// Which OpenBLAS kernels run the GEMMs, and whether they match the CPU.
//
// OpenBLAS (DYNAMIC_ARCH builds, as Debian ships) picks its kernels once, when the library loads,
// from a table of CPU models. A model newer than the table falls back to Prescott (SSE3): Debian's
// 0.3.21 on an Intel Xeon family 6 model 207 (AVX-512) ran the model at a third of the speed (issue 13).
// Only OPENBLAS_CORETYPE, read at load time, overrides the choice, so the executable restarts itself
// with it set (`plan` decides, maskscope's BLASRestart.swift does the exec).

import CBLAS

public enum BLASKernel {
    /// The kernel family OpenBLAS is running, as it names it ("Cooperlake", "Haswell", "Prescott").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// False for an OpenBLAS built for a single core: OPENBLAS_CORETYPE then changes nothing.
    public static var honoursCoreType: Bool { String(cString: openblas_get_config()).contains("DYNAMIC_ARCH") }

    /// The instruction tier an OpenBLAS core's kernels use; unknown names count as the weakest.
    public static func isa(ofCore name: String) -> VectorISA {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen": .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": .avx
        default: .sse
        }
    }

    /// The OpenBLAS core to force for a CPU, or nil where no forcing is needed (SSE-only CPUs).
    public static func bestCore(for cpu: CPUFeatures) -> String? {
        switch cpu.isa {
        case .avx512: cpu.avx512BF16 ? "Cooperlake" : "SkylakeX"   // same sgemm kernels; Cooperlake adds bf16
        case .avx2: "Haswell"
        case .avx: "Sandybridge"
        case .sse: nil
        }
    }

    /// Set by maskscope on the restarted process to "PICKED:FORCED": it guards against restarting
    /// again and lets the report say what happened.
    public static let restartVariable = "MASKSCOPE_BLAS_RESTART"
    /// Tests only: pretend OpenBLAS picked this core, to drive the restart on a CPU it recognises.
    public static let pretendVariable = "MASKSCOPE_TEST_OPENBLAS_PICKED"

    public enum Decision: Equatable, Sendable {
        /// Run as loaded.
        case keep(KernelChoice)
        /// Restart the process with OPENBLAS_CORETYPE=`core` and `restartVariable`=`marker`.
        case restart(core: String, marker: String)
    }

    /// How the running kernel came to be chosen.
    public enum KernelChoice: Equatable, Sendable {
        case openBLAS                                    // its own detection matched the CPU
        case user(String)                                // OPENBLAS_CORETYPE set by the user
        case restarted(picked: String, forced: String)   // maskscope overrode a weaker pick
        case fixedBuild                                  // weaker, but this OpenBLAS cannot switch
        case noBetterCore                                // weaker, and no known core would do better
        case restartFailed(core: String, reason: String) // weaker; the restart to `core` could not run
    }

    /// The decision for a process that loaded OpenBLAS with `loadedCore`, from its environment alone
    /// (pure, so tests can walk every case).
    public static func plan(cpu: CPUFeatures, loadedCore: String, honoursCoreType: Bool,
                            environment: [String: String]) -> Decision {
        let userCore = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        if let marker = environment[restartVariable] {
            // Already restarted once: never again, whatever came of it.
            let parts = marker.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2, userCore?.lowercased() == parts[1].lowercased() {
                return .keep(.restarted(picked: parts[0], forced: parts[1]))
            }
            return .keep(userCore.map { .user($0) } ?? .openBLAS)
        }
        if let userCore { return .keep(.user(userCore)) }
        let picked = environment[pretendVariable].flatMap { $0.isEmpty ? nil : $0 } ?? loadedCore
        if isa(ofCore: picked) >= cpu.isa { return .keep(.openBLAS) }
        guard honoursCoreType else { return .keep(.fixedBuild) }
        guard let best = bestCore(for: cpu), isa(ofCore: best) > isa(ofCore: picked) else { return .keep(.noBetterCore) }
        return .restart(core: best, marker: "\(picked):\(best)")
    }

    /// The decision for this process.
    public static func plan(environment: [String: String]) -> Decision {
        plan(cpu: .current, loadedCore: coreName, honoursCoreType: honoursCoreType, environment: environment)
    }

    /// One line for `maskscope bench`: the kernel, its ISA against the CPU's, and how it was chosen.
    public static func report(choice: KernelChoice, core: String = coreName, cpu: CPUFeatures = .current) -> String {
        let coreISA = isa(ofCore: core)
        var line = "BLAS \(core) (\(coreISA) kernels; CPU has \(cpu.isa)) · "
        switch choice {
        case .openBLAS: line += "chosen by OpenBLAS"
        case .user(let value): line += "OPENBLAS_CORETYPE=\(value) set in the environment"
        case .restarted(let picked, let forced):
            line += "OpenBLAS picked \(picked); maskscope restarted with OPENBLAS_CORETYPE=\(forced)"
        case .fixedBuild: line += "chosen by OpenBLAS, which is built for one core and cannot switch"
        case .noBetterCore: line += "chosen by OpenBLAS; no stronger core is known"
        case .restartFailed(let forced, let reason):
            line += "chosen by OpenBLAS; restarting with OPENBLAS_CORETYPE=\(forced) failed (\(reason)), set it yourself"
        }
        if coreISA < cpu.isa { line += " · WARNING: slower kernels than this CPU can run" }
        return line
    }
}
