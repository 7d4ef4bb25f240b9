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

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    func display(_ format: String) throws -> String {
        try tmux(["display-message", "-p", "-t", name, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pids of the pane's shell's children (the program a `sh -c` command runs).
    func childPIDs() throws -> [pid_t] {
        let shell = try display("#{pane_pid}")
        let output = socket + ".children"
        _ = system("pgrep -P \(shell) > '\(output)' 2>/dev/null")
        defer { unlink(output) }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
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

/// What a crash leaves on the screen (the Swift runtime's messages and the shell's reports).
let crashMarkers = ["Fatal error", "unowned reference", "Segmentation fault", "Illegal instruction", "Aborted",
                    "Bus error", "Trace/breakpoint", "Crash", "core dumped", "Error opening terminal"]

/// A command for `sh -c` that runs the explorer and then reports its exit status on the screen, the
/// shell staying alive so the terminal state after the explorer can be read.
func exploreCommand(environment: String, arguments: String, directory: String = NSTemporaryDirectory()) -> String {
    "cd '\(directory)' && env \(environment) \(maskscopeExecutable()) explore \(arguments); echo EXIT=$?; sleep 120"
}

/// The status the shell reported, once it has.
func reportedExit(_ session: TmuxSession, seconds: Double = 20) throws -> Int? {
    let screen = try session.waitFor("the exit status", seconds: seconds) { $0.contains("EXIT=") }
    guard let line = screen.split(separator: "\n").last(where: { $0.contains("EXIT=") }),
          let range = line.range(of: "EXIT=") else { return nil }
    return Int(line[range.upperBound...].prefix { $0.isNumber })
}

@Suite("maskscope explore survives hostile terminals, signals and inputs", .serialized)
struct ExploreHostileEndToEndTests {
    let scene = fixturePath("reference/images/scene-200x150.png")
    let tiny = fixturePath("models/tiny-w7")

    @Test("a terminal without colours gets a monochrome frame; q exits 0", arguments: ["vt100", "xterm-mono"])
    func monochrome(term: String) throws {
        let session = try TmuxSession(command: exploreCommand(environment: "TERM=\(term) LC_ALL=C.UTF-8", arguments: "\(scene) --model \(tiny)"))
        let screen = try session.waitFor("the monochrome frame") { $0.contains("maskscope · ") && $0.contains("panoptic ·") && $0.contains("q quit") }
        // The picture is a density ramp: rows of ramp characters, no half blocks.
        #expect(screen.contains("=====") || screen.contains("+++++") || screen.contains("*****"), "\(screen)")
        #expect(!screen.contains("\u{2580}"))
        // Nothing colours the cells (tmux would show 38;…/48;… where it did); reverse video marks the bars.
        let escapes = try session.screenWithColors()
        #expect(!escapes.contains("[38;") && !escapes.contains(";38;") && !escapes.contains("[48;") && !escapes.contains(";48;"), "\(escapes.prefix(2000))")
        #expect(escapes.contains("\u{1B}[7m") || escapes.contains(";7m") || escapes.contains("[7;"), "reverse video bars")
        try session.send("q")
        #expect(try reportedExit(session) == 0)
        let after = try session.screen()
        for marker in crashMarkers { #expect(!after.contains(marker), "\(after)") }
    }

    @Test("TERM=dumb cannot move the cursor: one maskscope: line, exit 1")
    func dumb() throws {
        let session = try TmuxSession(command: exploreCommand(environment: "TERM=dumb LC_ALL=C.UTF-8", arguments: "\(scene) --model \(tiny)"))
        #expect(try reportedExit(session) == 1)
        let lines = try session.screen().split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 2 && lines[0].hasPrefix("maskscope: ") && lines[0].contains("'dumb'"), "\(lines)")
    }

    @Test("TERM unset or unknown: one maskscope: line naming it, exit 1", arguments: ["-u TERM", "TERM=", "TERM=no-such-terminal-xyz"])
    func noTerm(setting: String) throws {
        let session = try TmuxSession(command: exploreCommand(environment: "\(setting) LC_ALL=C.UTF-8", arguments: "\(scene) --model \(tiny)"))
        #expect(try reportedExit(session) == 1)
        let lines = try session.screen().split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 2 && lines[0].hasPrefix("maskscope: ") && lines[0].contains(setting.hasSuffix("xyz") ? "no-such-terminal-xyz" : "TERM"),
                "\(lines)")
    }

    @Test("q while the model runs on a folder of many images exits 0, every time")
    func quitDuringInference() throws {
        let folder = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let samples = try shippedSampleImages()
        for copy in 0..<5 {
            for sample in samples {
                try FileManager.default.copyItem(atPath: sample, toPath: folder + "/copy\(copy)-" + (sample as NSString).lastPathComponent)
            }
        }
        // The shipped model takes long enough per image that each quit lands inside inference, at a
        // different stage each time.
        for attempt in 0..<6 {
            let session = try TmuxSession(command: exploreCommand(environment: "TERM=xterm-256color COLORTERM=truecolor LC_ALL=C.UTF-8",
                                                                  arguments: "'\(folder)'"))
            _ = try session.waitFor("the explorer running the model", seconds: 60) { $0.contains("running the model") || $0.contains("panoptic ·") }
            usleep(useconds_t(150_000 * attempt))
            try session.send("q")
            #expect(try reportedExit(session) == 0, "attempt \(attempt)")
            let screen = try session.screen()
            for marker in crashMarkers { #expect(!screen.contains(marker), "attempt \(attempt): \(screen)") }
            #expect(try session.display("#{alternate_on}") == "0")
        }
    }

    @Test("a terminating signal leaves the terminal restored: main screen, cursor shown, status 128+n",
          arguments: [("USR1", SIGUSR1), ("ALRM", SIGALRM), ("PIPE", SIGPIPE), ("TERM", SIGTERM), ("HUP", SIGHUP), ("USR2", SIGUSR2)])
    func signal(name: String, number: Int32) throws {
        let session = try TmuxSession(command: exploreCommand(environment: "TERM=xterm-256color LC_ALL=C.UTF-8", arguments: "\(scene) --model \(tiny)"))
        _ = try session.waitFor("the first result") { $0.contains("panoptic ·") }
        // The explorer is on the alternate screen with the cursor hidden: what the signal must undo.
        #expect(try session.display("#{alternate_on} #{cursor_flag}") == "1 0")
        let children = try session.childPIDs()
        try #require(children.count == 1, "the explorer's pid: \(children)")
        kill(children[0], number)
        #expect(try reportedExit(session) == 128 + Int(number), "SIG\(name)")
        #expect(try session.display("#{alternate_on}") == "0", "SIG\(name) left the alternate screen on")
        #expect(try session.display("#{cursor_flag}") == "1", "SIG\(name) left the cursor hidden")
        // Mouse tracking off: tmux reports the pane's mouse mode flags.
        #expect(try session.display("#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}") == "000", "SIG\(name) left the mouse on")
    }

    @Test("a FIFO in the folder is reported on its own image; the other images get results")
    func fifoInFolder() throws {
        let folder = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: scene, toPath: folder + "/a.png")
        #expect(mkfifo(folder + "/b.png", 0o644) == 0)
        try FileManager.default.copyItem(atPath: scene, toPath: folder + "/c.png")
        let session = try TmuxSession(command: exploreCommand(environment: "TERM=xterm-256color LC_ALL=C.UTF-8", arguments: "'\(folder)' --model \(tiny)"))
        _ = try session.waitFor("the first image's result") { $0.contains("panoptic ·") && $0.contains("image 1/3") }
        try session.send("n")
        var screen = try session.waitFor("the FIFO reported") { $0.contains("b.png") && $0.contains("FIFO") }
        try session.send("n")
        screen = try session.waitFor("the third image's result") { $0.contains("image 3/3") && $0.contains("panoptic ·") && $0.contains("c.png") }
        try session.send("q")
        #expect(try reportedExit(session) == 0)
        _ = screen
    }

    @Test("a FIFO given directly is one clear error, before the terminal is touched")
    func fifoArgument() throws {
        let folder = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(mkfifo(folder + "/pipe.png", 0o644) == 0)
        let session = try TmuxSession(command: exploreCommand(environment: "TERM=xterm-256color LC_ALL=C.UTF-8", arguments: "'\(folder)/pipe.png' --model \(tiny)"))
        #expect(try reportedExit(session, seconds: 10) == 1)
        let lines = try session.screen().split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 2 && lines[0].hasPrefix("maskscope: ") && lines[0].contains("pipe.png") && lines[0].contains("FIFO"), "\(lines)")
    }
}

/// The shipped sample scenes (SampleImages/shapes/*.png).
func shippedSampleImages() throws -> [String] {
    let shapes = repositoryRoot + "/SampleImages/shapes"
    return try FileManager.default.contentsOfDirectory(atPath: shapes).filter { $0.hasSuffix(".png") }.sorted().map { shapes + "/" + $0 }
}
