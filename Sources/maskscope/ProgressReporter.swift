// Progress of a batch on stderr: a redrawn bar with images/s and ETA on a terminal, one plain line
// per image otherwise (logs, CI).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class ProgressReporter {
    let total: Int
    let interactive: Bool
    let start = Date()
    private(set) var done = 0
    private(set) var failed: [(path: String, message: String)] = []

    init(total: Int, interactive: Bool = isatty(2) != 0) {
        self.total = total
        self.interactive = interactive
    }

    func finished(_ path: String, error: String? = nil, note: String = "") {
        done += 1
        if let error { failed.append((path, error)) }
        if interactive {
            if let error { writeStandardError("\r\u{1B}[K" + "maskscope: \(error)\n") }
            drawBar()
        } else {
            writeStandardError("[\(done)/\(total)] " + (error.map { "failed: \($0)" } ?? "\(path): ok\(note)") + "\n")
        }
    }

    func drawBar() {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        writeStandardError("\r\u{1B}[K\(bar) \(done)/\(total) · \(String(format: "%.2f", rate)) img/s · ETA \(formatSeconds(remaining))")
        if done == total { writeStandardError("\n") }
    }

    /// Ends the bar's line when a run stops early, so the next message starts on its own line.
    func end() {
        if interactive && done < total { writeStandardError("\n") }
    }

    var summary: String {
        let elapsed = Date().timeIntervalSince(start)
        var text = "done \(done - failed.count), failed \(failed.count), \(formatSeconds(elapsed))"
        if !failed.isEmpty { text += " — failed: " + failed.map(\.path).joined(separator: ", ") }
        return text
    }
}

func formatSeconds(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    return String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60)
}
