// Asks the terminal what it can draw, before curses starts: GraphicsProbe's questions written to the
// tty in raw mode, answers read until DA1's reply (the sentinel) or 150 ms, whichever comes first.
// Also the cell size in pixels the kernel knows (TIOCGWINSZ), whether tmux passes sequences on, and
// tmux's version (3.4 and later may draw sixel themselves).

import Explorer
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum TerminalProbe {
    /// Pixels per cell from TIOCGWINSZ, nil when the terminal leaves ws_xpixel/ws_ypixel at 0.
    public static func kernelCellSize(fd: Int32 = 1) -> PixelSize? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0,
              size.ws_xpixel >= size.ws_col, size.ws_ypixel >= size.ws_row else { return nil }
        return PixelSize(width: Int(size.ws_xpixel) / Int(size.ws_col), height: Int(size.ws_ypixel) / Int(size.ws_row))
    }

    /// The probe on the controlling terminal; nil when there is none to ask.
    public static func ask(throughTmux: Bool) -> TerminalReplies? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Through tmux each question goes to the outer terminal; tmux itself would answer a bare DA1 first.
        let query = throughTmux ? tmuxPassthrough(GraphicsProbe.query) : GraphicsProbe.query
        return exchange(fd: fd, query: query, timeout: GraphicsProbe.timeoutSeconds)
    }

    /// Writes `query` to the tty `fd` in raw mode and reads the replies until DA1's arrives or
    /// `timeout` seconds pass; the terminal modes are put back. Nil when `fd` is not a terminal.
    public static func exchange(fd: Int32, query: [UInt8], timeout: Double) -> TerminalReplies? {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        // No echo (the replies must not show), no line buffering (they end without a newline).
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        raw.c_cc.6 = 0   // VMIN
        raw.c_cc.5 = 0   // VTIME
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
        defer { _ = tcsetattr(fd, TCSANOW, &saved) }
        var written = 0
        while written < query.count {
            let n = query[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return TerminalReplies() }
            written += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, (deadline - now) / 1_000_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            received += buffer[0..<n]
            if TerminalReplies.parse(received).complete { break }
        }
        return TerminalReplies.parse(received)
    }

    /// Whether tmux's allow-passthrough is on for this pane (asked of tmux itself; false if it cannot say):
    /// the pane's own value, else the window's or the global one.
    public static func tmuxAllowsPassthrough() -> Bool {
        let value = tmuxOption(["-pqv", "allow-passthrough"]) ?? ""
        let effective = value.isEmpty ? tmuxOption(["-gwqv", "allow-passthrough"]) ?? "" : value
        return effective == "on" || effective == "all"
    }

    /// `tmux -V`: "tmux 3.3a"; nil when tmux cannot be run.
    public static func tmuxVersion() -> String? { tmux(["-V"]) }

    static func tmuxOption(_ arguments: [String]) -> String? { tmux(["show-options"] + arguments) }

    static func tmux(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
