// Restart maskscope once, first thing, when OpenBLAS loaded weaker kernels than the CPU runs
// (BLASKernel.swift says why only a restart can change them).

import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

enum BLASRestart {
    /// How the kernels in use were chosen. Evaluated at the top of `main`, before any other work:
    /// when the process must restart, `execv` replaces it here (same pid, arguments and descriptors).
    static let choice: BLASKernel.KernelChoice = restartIfWeaker()

    private static func restartIfWeaker() -> BLASKernel.KernelChoice {
        switch BLASKernel.plan(environment: ProcessInfo.processInfo.environment) {
        case .keep(let choice):
            return choice
        case .restart(let core, let marker):
            setenv("OPENBLAS_CORETYPE", core, 1)
            setenv(BLASKernel.restartVariable, marker, 1)   // the restarted process never restarts again
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only reached when exec failed: carry on with the kernels we have, and leave the
            // environment as the user gave it.
            let reason = String(cString: strerror(errno))
            unsetenv("OPENBLAS_CORETYPE")
            unsetenv(BLASKernel.restartVariable)
            return .restartFailed(core: core, reason: reason)
        }
    }
}
