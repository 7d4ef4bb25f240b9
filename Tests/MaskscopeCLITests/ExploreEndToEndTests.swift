// The explorer as a person uses it: the real binary inside tmux (pinned TERM, COLORTERM, locale and
// a 200×60 window), keys sent with send-keys, the screen read with capture-pane.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Imaging
import TestSupport
import Testing

/// A detached tmux session running one command; torn down at the end.
final class TmuxSession {
    let name = "maskscope-test-\(UUID().uuidString.prefix(8))"
    let socket: String

    init(command: String, columns: Int = 200, rows: Int = 60) throws {
        socket = NSTemporaryDirectory() + "tmux-\(name)"
        // The tmux server this starts would inherit an output pipe and keep it open forever.
        try tmux(["new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", command], capture: false)
        try tmux(["set-option", "-t", name, "remain-on-exit", "on"], capture: false)
    }

    /// Runs tmux through the shell: Foundation's Process waits forever on a client whose server
    /// daemonised from it, so output goes through a file instead of a pipe.
    @discardableResult
    func tmux(_ arguments: [String], capture: Bool = true) throws -> String {
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let output = socket + ".out"
        let line = (["tmux", "-S", socket] + arguments).map(quote).joined(separator: " ")
            + (capture ? " > \(quote(output))" : " > /dev/null") + " 2>/dev/null < /dev/null"
        _ = system(line)
        guard capture else { return "" }
        defer { unlink(output) }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys, capture: false) }
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }
    func screenWithColors() throws -> String { try tmux(["capture-pane", "-p", "-e", "-t", name]) }
    var exited: Bool { ((try? tmux(["list-panes", "-t", name, "-F", "#{pane_dead}"])) ?? "").hasPrefix("1") }

    /// Polls until `condition` holds for the screen (the explorer redraws every 50 ms).
    func waitFor(_ what: String, seconds: Double = 20, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(what); screen:\n\(last)")
        return last
    }

    /// Whether the program exits within `seconds`.
    func waitForExit(seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !exited && Date() < deadline { usleep(100_000) }
        return exited
    }

    deinit {
        _ = try? tmux(["kill-server"], capture: false)
        try? FileManager.default.removeItem(atPath: socket)
    }
}

@Suite("maskscope explore in tmux", .serialized)
struct ExploreEndToEndTests {
    @Test("views, selection, decoder layers, help, export and quit, as a person sees them")
    func session() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let command = "cd \(directory) && env TERM=xterm-256color COLORTERM=truecolor LC_ALL=C.UTF-8 \(maskscopeExecutable()) explore "
            + "\(fixturePath("reference/images/scene-200x150.png")) --model \(fixturePath("models/tiny-w7")) "
            + "--threshold 0.3 --mask-threshold 0.3 --stuff-labels sky,grass"
        let session = try TmuxSession(command: command)

        // The picture is written just after ncurses' own update, so wait for both.
        var screen = try session.waitFor("the first result with its picture") {
            $0.contains("panoptic ·") && $0.contains("segment") && $0.contains("\u{2580}")
        }
        #expect(screen.contains("maskscope · ") && screen.contains("? help · q quit"))
        // Truecolour cells reach the terminal (tmux re-encodes them as 38;2;r;g;b).
        #expect(try session.screenWithColors().contains("38;2;"))

        try session.send("3")
        screen = try session.waitFor("the semantic view") { $0.contains(" semantic ·") }
        #expect(screen.contains("class"))

        try session.send("5")
        screen = try session.waitFor("the queries view") { $0.contains(" queries · 12 queries") }
        #expect(screen.contains("fate") && screen.contains("q") && screen.contains("layer 9/9"))
        try session.send("Down")
        try session.send("[")
        try session.send("[")
        screen = try session.waitFor("layer 7") { $0.contains("layer 7/9") }
        #expect(screen.contains("predicts") && screen.contains("next layer attends at 1/"))
        #expect(screen.contains("L0 query") && screen.contains("L9"), "the per-layer filmstrip")

        try session.send("?")
        screen = try session.waitFor("the help") { $0.contains("decoder layer") && $0.contains("keys") }
        try session.send("x")   // any key closes help
        _ = try session.waitFor("help closed") { !$0.contains("this help") }

        try session.send("e")
        screen = try session.waitFor("the export message") { $0.contains("exported ./") }
        let exported = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".png") }.sorted()
        // The view at the image's resolution, and the filmstrip: 10 layers of 200 px, 8 px apart.
        #expect(exported.count == 2, "\(exported)")
        if let view = exported.first(where: { $0.hasSuffix(".layer7.png") }) {
            let picture = try loadImage(path: directory + "/" + view)
            #expect(picture.width == 200 && picture.height == 150)
        } else { Issue.record("no view export in \(exported)") }
        if let strip = exported.first(where: { $0.hasSuffix(".filmstrip.png") }) {
            let picture = try loadImage(path: directory + "/" + strip)
            #expect(picture.width == 10 * 200 + 9 * 8 && picture.height == 150)
        } else { Issue.record("no filmstrip export in \(exported)") }

        try session.send("q")
        #expect(session.waitForExit(), "q quits")
    }

    @Test("maskscope alone opens the sample scenes with the shipped model; zoom, pan and the next image")
    func noArguments() throws {
        let command = "cd \(NSTemporaryDirectory()) && env TERM=xterm-256color COLORTERM=truecolor LC_ALL=C.UTF-8 \(maskscopeExecutable())"
        let session = try TmuxSession(command: command)
        var screen = try session.waitFor("the first sample scene's result", seconds: 60) {
            $0.contains("panoptic ·") && $0.contains("image 1/6") && $0.contains("\u{2580}")
        }
        #expect(screen.contains("sample-000001.png") && screen.contains("Models/shapes-swin"), "\(screen)")
        // A trained model: the scene's stuff classes are among the segments listed.
        #expect(screen.contains("sky") && screen.contains("grass") && screen.contains("water"), "\(screen)")
        try session.send("z")
        screen = try session.waitFor("zoom 2×") { $0.contains("zoom 2×") }
        try session.send("z", "l", "j")
        screen = try session.waitFor("zoom 4×") { $0.contains("zoom 4×") }
        try session.send("n")
        screen = try session.waitFor("the second scene, unzoomed", seconds: 60) {
            $0.contains("image 2/6") && $0.contains("sample-000004.png") && !$0.contains("zoom") && !$0.contains("running the model")
        }
        try session.send("q")
        #expect(session.waitForExit(), "q quits")
    }

    @Test("a terminal that is too small gets a message, not garbage")
    func tooSmall() throws {
        let command = "env TERM=xterm-256color LC_ALL=C.UTF-8 \(maskscopeExecutable()) explore "
            + "\(fixturePath("reference/images/scene-200x150.png")) --model \(fixturePath("models/tiny-w7"))"
        let session = try TmuxSession(command: command, columns: 50, rows: 12)
        let screen = try session.waitFor("the size message") { $0.contains("terminal too small") }
        #expect(screen.contains("need 60×16"))
        try session.send("q")
    }

    @Test("stdout that is not a terminal is refused with a pointer to segment")
    func notATerminal() throws {
        let result = try runMaskscope(["explore", fixturePath("reference/images/scene-200x150.png"), "--model", fixturePath("models/tiny-w7")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("needs a terminal") && result.stderr.contains("maskscope segment"), "\(result.stderr)")
    }
}
