// An X server with no screen (Xvfb) and an xterm on it, for end-to-end tests in a real graphics
// terminal: the window's place from xwininfo, its pixels from xwd. Debian's xvfb, xterm, x11-apps and
// x11-utils (Tools/install-deps.sh); without them the tests skip, except in CI (CI=true), where a
// missing tool is a failure.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Imaging

/// The X tools the tests need, and whether they are here.
enum XTools {
    static let needed = ["Xvfb", "xterm", "xwd", "xwininfo", "script"]
    static var missing: [String] { needed.filter { which($0) == nil } }
    /// Run the tests: the tools are here, or CI must have them (and fails saying which are missing).
    static var runTests: Bool { missing.isEmpty || ProcessInfo.processInfo.environment["CI"] == "true" }
}

func which(_ tool: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin", "/bin"] {
        let path = "\(directory)/\(tool)"
        if access(path, X_OK) == 0 { return path }
    }
    return nil
}

/// An Xvfb server on a display number it picks itself (-displayfd), stopped on deinit.
final class VirtualDisplay {
    private let server = Process()
    let name: String

    init() throws {
        server.executableURL = URL(fileURLWithPath: which("Xvfb") ?? "/usr/bin/Xvfb")
        server.arguments = ["-displayfd", "1", "-screen", "0", "1400x900x24", "-nolisten", "tcp"]
        let pipe = Pipe()
        server.standardOutput = pipe
        server.standardError = FileHandle.nullDevice
        try runUnblocked(server)
        var text = ""
        while !text.hasSuffix("\n") {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let number = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Int(number) != nil else { server.terminate(); throw DisplayError.noDisplay(text) }
        name = ":" + number
    }

    enum DisplayError: Error { case noDisplay(String) }

    deinit { stop(server) }

    /// An X client's standard output.
    func run(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: which(tool) ?? tool)
        process.arguments = ["-display", name] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    /// The place and size of xterm's text area (its VT100 widget, the child window inside the
    /// top-level one and its 1-pixel border) on the root window, from xwininfo's tree.
    func xtermGeometry() throws -> (x: Int, y: Int, width: Int, height: Int)? {
        let lines = String(decoding: try run("xwininfo", ["-root", "-tree"]), as: UTF8.self).split(separator: "\n")
        guard let top = lines.firstIndex(where: { $0.contains("(\"xterm\" \"XTerm\")") }) else { return nil }
        // Lines end "… 1204x784+0+0  +1+1": the size and place in the parent, then the absolute place.
        func geometry(_ line: Substring) -> (x: Int, y: Int, width: Int, height: Int)? {
            let fields = line.split(separator: " ")
            guard let sizeField = fields.first(where: { $0.contains("x") && $0.contains("+") && $0.first?.isNumber == true }),
                  let absolute = fields.last, absolute.hasPrefix("+") else { return nil }
            let size = sizeField.split(whereSeparator: { $0 == "x" || $0 == "+" || $0 == "-" }).compactMap { Int($0) }
            let position = absolute.split(whereSeparator: { $0 == "+" || $0 == "-" }).compactMap { Int($0) }
            guard size.count >= 2, position.count == 2 else { return nil }
            return (position[0], position[1], size[0], size[1])
        }
        return lines[(top + 1)...].lazy.compactMap(geometry).first ?? geometry(lines[top])
    }

    /// The root window as RGB (xwd's ZPixmap, 32 bits per pixel, 24-bit TrueColor).
    func screenshot() throws -> RGBImage? {
        let data = [UInt8](try run("xwd", ["-root", "-silent"]))
        guard data.count >= 100 else { return nil }
        func field(_ i: Int) -> Int { Int(data[4 * i]) << 24 | Int(data[4 * i + 1]) << 16 | Int(data[4 * i + 2]) << 8 | Int(data[4 * i + 3]) }
        let headerSize = field(0), width = field(4), height = field(5), byteOrder = field(7), bitsPerPixel = field(11)
        let bytesPerLine = field(12), colors = field(19)
        let start = headerSize + 12 * colors
        guard bitsPerPixel == 32, data.count >= start + bytesPerLine * height else { return nil }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        data.withUnsafeBufferPointer { data in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for y in 0..<height {
                    for x in 0..<width {
                        let p = start + y * bytesPerLine + 4 * x, o = 3 * (y * width + x)
                        // LSBFirst: B G R X in memory; MSBFirst: X R G B.
                        if byteOrder == 0 { pixels[o] = data[p + 2]; pixels[o + 1] = data[p + 1]; pixels[o + 2] = data[p] }
                        else { pixels[o] = data[p + 1]; pixels[o + 1] = data[p + 2]; pixels[o + 2] = data[p + 3] }
                    }
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// Starts `process` with no signal blocked: the test runner's threads block most signals and a child
/// inherits that mask, so an X server, xterm or tmux started from a test would ignore SIGTERM and
/// SIGHUP (tmux's kill-server is a SIGTERM to itself) and outlive the test.
func runUnblocked(_ process: Process) throws {
    var none = sigset_t(), previous = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    try process.run()
}

/// SIGTERM, then SIGKILL if `process` is still there after `seconds`; never waits forever.
func stop(_ process: Process, seconds: Double = 5) {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
}

/// An xterm on `display` running `command` under `script`, which records every byte the program
/// sends to the terminal in `log` (how a test sees which protocol `auto` chose).
final class XtermSession {
    private let process = Process()
    let log: String
    /// The command's pid, written by its shell before it execs the command: ending it ends script and xterm.
    private let pidFile: String

    /// `arguments`: xterm's own (e.g. -ti vt340, resources); the window is `columns × rows` at the
    /// top-left of the screen in the built-in "fixed" font, TERM xterm-256color.
    init(display: VirtualDisplay, arguments: [String], columns: Int, rows: Int, command: String) throws {
        log = NSTemporaryDirectory() + "maskscope-xterm-\(UUID().uuidString.prefix(8)).log"
        pidFile = log + ".pid"
        process.executableURL = URL(fileURLWithPath: which("xterm") ?? "/usr/bin/xterm")
        // Nothing from the test's own terminal may leak in (tmux, kitty hints, a chosen mode).
        var environment = ProcessInfo.processInfo.environment
        for key in ["TMUX", "KITTY_WINDOW_ID", "TERM_PROGRAM", "MASKSCOPE_GRAPHICS", "COLORTERM", "NO_COLOR"] { environment[key] = nil }
        environment["DISPLAY"] = display.name
        environment["LC_ALL"] = "C.UTF-8"
        process.environment = environment
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        process.arguments = arguments + ["-fn", "fixed", "-tn", "xterm-256color", "-geometry", "\(columns)x\(rows)+0+0",
                                         "-e", "script", "-q", "-f", "-c", "echo $$ > \(quote(pidFile)); exec \(command)", log]
        process.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try runUnblocked(process)
    }

    /// What the program has written to the terminal so far.
    var output: [UInt8] { (FileManager.default.contents(atPath: log)).map { [UInt8]($0) } ?? [] }

    /// Ends the command (the explorer restores the terminal and exits on SIGTERM), then xterm.
    deinit {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGTERM)
            usleep(300_000)
            kill(pid, SIGKILL)
        }
        stop(process)
        unlink(log)
        unlink(pidFile)
    }
}
