// One restore path for every way out: normal exit, and the fatal signals that would otherwise leave
// the terminal in raw mode with the cursor hidden.

import CNCursesW
#if canImport(Glibc)
import Glibc
#endif

public enum TerminalRestore {
    nonisolated(unsafe) static var active = false

    static func install() {
        active = true
        for signal in [SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] {
            Glibc.signal(signal) { number in
                TerminalRestore.restore()
                // Default action (core dump or exit) with the terminal already back to normal.
                Glibc.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    /// Leaves curses mode once; safe to call more than once.
    public static func restore() {
        guard active else { return }
        active = false
        endwin()
        let reset = "\u{1B}[0m\u{1B}[?25h"
        _ = reset.withCString { write(1, $0, strlen($0)) }
    }
}
