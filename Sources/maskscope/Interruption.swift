// Ctrl-C, SIGTERM and SIGHUP during a batch run: the first one asks the run to stop after the current
// image (which is then either written whole or not at all), the second one ends the process at once.
// A run stopped either way is finished later with `--skip-existing`.

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The signal that asked the run to stop, 0 while none has. Written by the signal handler: a
/// lock-free atomic store is async-signal-safe.
private let receivedSignal = Atomic<Int32>(0)

/// Printed by the handler itself (write(2) only: no allocation inside a signal handler).
private let stoppingNotice: [UInt8] = Array(
    "\nmaskscope: stopping after the current image (again to stop at once; --skip-existing resumes)\n".utf8)

enum Interruption {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handlers. SIGXFSZ is ignored too, so that exceeding a file-size limit is a
    /// write error (EFBIG) the run reports and rolls back, not a kill that strands temporary files.
    static func install() {
        _ = Glibc.signal(SIGXFSZ, SIG_IGN)
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                receivedSignal.store(number, ordering: .relaxed)
                stoppingNotice.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
            }
            sigemptyset(&action.sa_mask)
            // SA_RESETHAND: the second signal gets the default action and ends the process.
            action.sa_flags = Int32(bitPattern: UInt32(truncatingIfNeeded: SA_RESETHAND))
            sigaction(number, &action, nil)
        }
        // A parent may have started us with these signals blocked (the mask is inherited through
        // exec): they would then never arrive, and the run could not be stopped politely.
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal received so far, if any.
    static var signal: Int32? {
        let value = receivedSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// The conventional exit status of a process stopped by `signal`: 128 + its number (130 for SIGINT).
    static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(signal)"
        }
    }
}
