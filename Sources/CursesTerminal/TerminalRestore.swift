// One restore path for every way out: normal exit, and every catchable signal that would otherwise
// end the process with the terminal in raw mode, on the alternate screen, the cursor hidden and the
// mouse still reporting. A signal handler may only call async-signal-safe functions (signal-safety(7)),
// so the bytes that undo curses and the terminal modes from before it are computed at start-up, and
// the handler only write(2)s them, tcsetattr(3)s, and re-raises the signal with its default action.

import CNCursesW
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public enum TerminalRestore {
    /// 1 while curses owns the terminal; whoever exchanges it to 0 restores (lock-free: signal-safe).
    static let active = Atomic<Int32>(0)
    /// Escape sequences that undo curses (sgr0, mouse off, keypad off, cursor on, leave the alternate screen).
    nonisolated(unsafe) static var undo: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) static var undoCount = 0
    /// The terminal modes from before curses (cooked, echo), restored with tcsetattr.
    nonisolated(unsafe) static var savedModes: UnsafeMutablePointer<termios>?

    /// Signals whose default action ends the process: ncurses' SIGWINCH/SIGTSTP are left to it, and
    /// SIGKILL/SIGSTOP cannot be caught. SIGHUP, SIGINT and SIGQUIT stay ignored when the process
    /// started with them ignored (nohup, background jobs).
    static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE,
                                       SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                       SIGABRT, SIGTRAP, SIGSYS]
    static let keepIgnored: Set<Int32> = [SIGHUP, SIGINT, SIGQUIT]

    /// Saves the terminal's modes; call before curses changes them.
    static func saveModes() {
        let modes = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        if tcgetattr(0, modes) == 0 { savedModes = modes } else { modes.deallocate() }
    }

    /// Precomputes the undo bytes from terminfo (after newterm) and installs the signal handlers.
    static func install() {
        var bytes: [UInt8] = []
        func capability(_ name: String) -> [UInt8] {
            guard let value = tigetstr(name), Int(bitPattern: value) != -1 else { return [] }
            return Array(String(cString: value).utf8)
        }
        bytes += capability("sgr0")
        // ncurses turns xterm mouse reporting on where the terminal has a mouse (kmous); unknown
        // private modes are ignored by terminals that have no such mode.
        if !capability("kmous").isEmpty { bytes += Array("\u{1B}[?1006l\u{1B}[?1002l\u{1B}[?1000l".utf8) }
        bytes += capability("rmkx")
        bytes += capability("cnorm")
        bytes += capability("rmcup")
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
        buffer.initialize(from: bytes, count: bytes.count)
        undo = buffer
        undoCount = bytes.count
        active.store(1, ordering: .sequentiallyConsistent)

        for number in terminating {
            var previous = sigaction()
            guard sigaction(number, nil, &previous) == 0 else { continue }
            // SIG_IGN is the handler address 1; function pointers are not Equatable in Swift.
            let ignored = previous.__sigaction_handler.sa_handler.map { unsafeBitCast($0, to: Int.self) == 1 } ?? false
            if keepIgnored.contains(number) && ignored { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                TerminalRestore.restoreFromSignal()
                // SA_RESETHAND put the default action back and SA_NODEFER lets it through at once:
                // the process ends with the conventional status (and core, where the signal dumps one).
                raise(number)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND) | Int32(truncatingIfNeeded: SA_NODEFER)   // 0x80000000: a bit pattern
            _ = sigaction(number, &action, nil)
        }
    }

    /// Async-signal-safe: write(2) and tcsetattr(3) only.
    static func restoreFromSignal() {
        guard active.exchange(0, ordering: .sequentiallyConsistent) == 1 else { return }
        if let undo {
            var offset = 0
            while offset < undoCount {
                let written = write(1, undo + offset, undoCount - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        if let savedModes { _ = tcsetattr(0, TCSADRAIN, savedModes) }
    }

    /// Puts back the modes from before curses when curses failed to start (nothing was drawn yet).
    static func restoreModesOnly() {
        if let savedModes { _ = tcsetattr(0, TCSADRAIN, savedModes) }
    }

    /// Leaves curses mode once; safe to call more than once.
    public static func restore() {
        guard active.exchange(0, ordering: .sequentiallyConsistent) == 1 else { return }
        // endwin leaves the alternate screen, restores the modes and turns the mouse off; the cursor
        // is made visible again here because ncurses leaves it as the program last set it on some terminals.
        endwin()
        var cursor: [UInt8] = []
        if let value = tigetstr("cnorm"), Int(bitPattern: value) != -1 { cursor = Array(String(cString: value).utf8) }
        if !cursor.isEmpty { _ = cursor.withUnsafeBytes { write(1, $0.baseAddress, $0.count) } }
    }
}
