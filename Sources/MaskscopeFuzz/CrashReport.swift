// When a reader traps (SIGILL/SIGTRAP from a Swift check), faults or hangs, the fuzzer reports
// which input did it and saves that input, from a signal handler: only async-signal-safe calls
// (write, open, _exit) on buffers prepared before each iteration.

#if canImport(Glibc)
import Glibc
#endif

/// What the handler reports: set before each input is read.
nonisolated(unsafe) var currentLabel: UnsafeMutablePointer<CChar>?   // "png seed 1 iteration 17"
nonisolated(unsafe) var currentInput: UnsafeMutableRawBufferPointer?
nonisolated(unsafe) var currentInputCount = 0
nonisolated(unsafe) var crashPath: UnsafeMutablePointer<CChar>?       // where the input is saved

private func writeAll(_ fd: Int32, _ text: UnsafePointer<CChar>) {
    _ = write(fd, text, strlen(text))
}

private func handler(_ signal: Int32) {
    writeAll(2, "\nmaskscope-fuzz: CRASH (")
    if signal == SIGALRM { writeAll(2, "hang: over 10 s") } else if let name = strsignal(signal) { writeAll(2, name) }
    writeAll(2, ") on ")
    if let label = currentLabel { writeAll(2, label) }
    if let path = crashPath, let input = currentInput {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            _ = write(fd, input.baseAddress, currentInputCount)
            close(fd)
            writeAll(2, "; input saved to ")
            writeAll(2, path)
        }
    }
    writeAll(2, "\n")
    _exit(70)
}

/// Installs the handler for traps, faults and the per-input watchdog alarm.
func installCrashHandlers(crashFile: String) {
    crashPath = strdup(crashFile)
    currentLabel = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    currentLabel?.initialize(to: 0)
    for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGALRM] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
        sigaction(signal, &action, nil)
    }
}

/// Records the input about to be read, so a crash can name and save it.
func announce(_ label: String, _ input: [UInt8]) {
    if let buffer = currentLabel {
        let utf8 = Array(label.utf8.prefix(255))
        for (i, c) in utf8.enumerated() { buffer[i] = CChar(bitPattern: c) }
        buffer[utf8.count] = 0
    }
    if let old = currentInput, old.count < input.count { old.deallocate(); currentInput = nil }
    if currentInput == nil { currentInput = .allocate(byteCount: max(input.count, 1 << 16), alignment: 8) }
    currentInput?.copyMemory(from: UnsafeRawBufferPointer(start: input, count: input.count))
    currentInputCount = input.count
}
