// The only ncurses code: terminal modes, input, resize, restore on exit and signals, and output of
// frames. ncurses owns the chrome and the input; the picture region is blank in ncurses' virtual
// screen and painted after each doupdate() by our own SGR writer, so 24-bit colour works on the
// terminals people actually have (Docs/ARCHITECTURE.md, "Terminal"). Only changed cells go out.

import CNCursesW
import Explorer
import FileIO
import Imaging
#if canImport(Glibc)
import Glibc
#endif

public final class CursesTerminal: Terminal {
    public let capability: ColorCapability
    public let utf8: Bool
    /// No colours (vt100, xterm-mono, too few colour pairs): every cell goes through ncurses with
    /// attributes only, and nothing is written around it (no SGR colours, no raw picture region).
    public let monochrome: Bool
    private let defaultColors: Bool
    private var previous: CellGrid?
    private var previousRegion = (column: 0, row: 0, columns: 0, rows: 0)
    private var pairs: [Int64: Int32] = [:]
    private var encoder: CellEncoder
    /// A pixel protocol draws the picture (GraphicsSetup); half-blocks otherwise.
    public private(set) var graphics: GraphicsSetup
    private var previousPictures: [PlacedPicture] = []
    private var pictureOnScreen = false
    /// Encodes pictures off the UI thread and writes them between curses updates.
    private var pictureWriter: PictureWriter

    /// Starts curses on the terminal named by TERM; call `restore()` (also done on signals) before
    /// exiting. Throws, with the terminal untouched, where curses cannot run there.
    public init(environment: [String: String], graphics: GraphicsSetup = .halfBlocks) throws {
        self.graphics = graphics
        setlocale(LC_ALL, "")
        utf8 = String(cString: mw_codeset()).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        let term = environment["TERM"] ?? ""
        guard !term.isEmpty else { throw CursesTerminalError.termUnset }
        // newterm, unlike initscr, returns nil instead of printing its own message and exiting.
        guard let output = fdopen(1, "w"), let input = fdopen(0, "r") else { throw CursesTerminalError.noTerminal }
        TerminalRestore.saveModes()
        guard newterm(nil, output, input) != nil, mw_stdscr() != nil else {
            TerminalRestore.restoreModesOnly()
            throw CursesTerminalError.unknownTerm(term)
        }
        // Without cursor addressing (TERM=dumb) ncurses can only scroll: refuse before drawing anything.
        guard let address = tigetstr("cup"), Int(bitPattern: address) != -1 else {
            TerminalRestore.restoreModesOnly()
            throw CursesTerminalError.cannotAddress(term)
        }
        guard raw() == OK, noecho() == OK else {
            TerminalRestore.restoreModesOnly()
            throw CursesTerminalError.noTerminal
        }
        TerminalRestore.install()
        // The rest are refinements a terminal may lack (curs_set on vt100): ERR is not fatal.
        _ = nonl()
        _ = keypad(mw_stdscr(), true)
        // ncurses must never shift characters or lines: it would drag the picture cells it does not know.
        _ = idcok(mw_stdscr(), false)
        _ = idlok(mw_stdscr(), false)
        _ = set_escdelay(25)
        _ = curs_set(0)
        // Colour only where the terminal has it and enough pairs for the chrome; alloc_pair without
        // start_color's tables crashes (TERM=vt100, xterm-mono), so nothing colour-related runs otherwise.
        let pairsAvailable = Int(tigetnum("pairs"))
        if has_colors(), start_color() == OK, mw_colors() >= 8, pairsAvailable >= 16 {
            monochrome = false
            defaultColors = use_default_colors() == OK
        } else {
            monochrome = true
            defaultColors = true
        }
        _ = mousemask(mw_button1_pressed() | mw_wheel_up() | mw_wheel_down(), nil)
        _ = mouseinterval(0)
        wtimeout(mw_stdscr(), 50)   // poll: inference results arrive while no key is pressed
        capability = ColorCapability.detect(environment: environment, terminfoColors: monochrome ? 8 : Int(mw_colors()))
        encoder = CellEncoder(capability: capability, utf8: utf8)
        if monochrome { self.graphics = .halfBlocks }
        // A failed write to the terminal leaves nothing to report to: the next full repaint redraws it.
        pictureWriter = PictureWriter(setup: self.graphics) { bytes in
            try? bytes.withUnsafeBytes { try writeAll(fd: 1, $0, path: "terminal") }
        }
    }

    /// After a resize: the font may have changed with the window, so the cell size is read again
    /// (TIOCGWINSZ; the probe's answer stays when the kernel has none).
    public func rereadCellSize() -> GraphicsSetup {
        if graphics.protocolInUse != .halfblocks, let cell = TerminalProbe.kernelCellSize() { graphics.cellPixels = cell }
        return graphics
    }

    public var size: (columns: Int, rows: Int) { (Int(getmaxx(mw_stdscr())), Int(getmaxy(mw_stdscr()))) }

    /// Forgets what is on screen: the next frame is written whole (resize, resume, Ctrl-L).
    public func invalidate() {
        previous = nil
        clearok(mw_stdscr(), true)
    }

    /// Writes the cells of `frame` that changed since the last one; its pictures follow when they
    /// changed or curses may have drawn over them (sixel and iTerm2 pictures are plain pixels on the
    /// screen that any text output replaces), without waiting for a new one to be encoded.
    public func present(_ frame: ComposedFrame) {
        let grid = frame.grid
        let pictures = graphics.pixelCell == nil || monochrome ? [] : frame.pictures
        // Leaving pixel mode (the help box covers the picture) or moving a picture: the old ones go.
        let moved = pictures.count != previousPictures.count || zip(pictures, previousPictures).contains { new, old in
            (new.column, new.row, new.columns, new.rows, new.imageID) != (old.column, old.row, old.columns, old.rows, old.imageID)
        }
        if pictureOnScreen && (pictures.isEmpty || moved || previousRegion != frame.imageRegion) { removePicture() }
        // Monochrome: the composer drew the picture as characters, so ncurses owns every cell; with a
        // pixel protocol the picture's cells are blanks that ncurses owns and the picture goes over them.
        let region = monochrome || !pictures.isEmpty ? (column: 0, row: 0, columns: 0, rows: 0) : frame.imageRegion
        // ncurses never knew about the old picture cells: when the region moves, repaint everything.
        // Switching between pixels and half-blocks too: ncurses never knew what the other one drew.
        if previousRegion != frame.imageRegion || pictures.isEmpty != previousPictures.isEmpty { invalidate() }
        let fullRepaint = previous == nil
        let changed = grid.changedPositions(since: previous)
        func inRegion(_ c: Int, _ r: Int) -> Bool {
            c >= region.column && c < region.column + region.columns && r >= region.row && r < region.row + region.rows
        }
        var regionCells: [(Int, Int)] = []
        for (column, row) in changed {
            if inRegion(column, row) {
                // ncurses keeps a blank here and never diffs the picture.
                if previous == nil { _ = mw_put_cell(mw_stdscr(), Int32(row), Int32(column), 0x20, 0, 0) }
                regionCells.append((column, row))
                continue
            }
            let cell = grid[column, row]
            let scalar = cell.glyph.unicodeScalars.first.map { utf8 || $0.isASCII ? $0.value : 0x2B } ?? 0x20
            var attributes: attr_t = cell.bold ? mw_a_bold() : 0
            if cell.reverse { attributes |= mw_a_reverse() }
            if cell.underline { attributes |= mw_a_underline() }
            // ERR here is the bottom-right cell on a terminal that scrolls when it is written: harmless.
            _ = mw_put_cell(mw_stdscr(), Int32(row), Int32(column), wchar_t(scalar),
                            monochrome ? 0 : pair(cell.foreground, cell.background), attributes)
        }
        pictureWriter.withOutputLock {
            _ = wnoutrefresh(mw_stdscr())
            _ = doupdate()
            writeRegion(grid, cells: regionCells)
        }
        if !pictures.isEmpty {
            let overdrawn = changed.contains { cell in pictures.contains { $0.covers(column: cell.column, row: cell.row) } }
            if fullRepaint || overdrawn || !pictureOnScreen || !PlacedPicture.same(pictures, previousPictures) {
                pictureWriter.show(pictures)
                pictureOnScreen = true
            }
        }
        previousPictures = pictures
        previous = grid
        previousRegion = frame.imageRegion
    }

    /// Takes the pictures off the screen: kitty deletes its images; sixel and iTerm2 pixels are gone
    /// once curses repaints the cells (the caller invalidates). One still being encoded is not drawn.
    func removePicture() {
        pictureWriter.cancel()
        if graphics.protocolInUse == .kitty {
            var sequence: [UInt8] = []
            for id in Set(previousPictures.map(\.imageID)).sorted() {
                sequence += graphics.tmuxPassthrough ? tmuxPassthrough(KittyGraphics.delete(imageID: id)) : KittyGraphics.delete(imageID: id)
            }
            pictureWriter.withOutputLock { try? sequence.withUnsafeBytes { try writeAll(fd: 1, $0, path: "terminal") } }
        }
        pictureOnScreen = false
        invalidate()
    }

    /// The picture cells as raw SGR: save cursor, position, colour, glyph, restore.
    func writeRegion(_ grid: CellGrid, cells: [(Int, Int)]) {
        guard !cells.isEmpty else { return }
        var out = "\u{1B}7"
        var lastSGR = ""
        var cursor = (-1, -1)
        for (column, row) in cells {
            let cell = grid[column, row]
            if cursor != (column, row) { out += "\u{1B}[\(row + 1);\(column + 1)H" }
            let sgr = encoder.sgr(cell)
            if sgr != lastSGR { out += sgr; lastSGR = sgr }
            out += encoder.glyph(cell)
            cursor = (column + 1, row)
        }
        out += "\u{1B}[0m\u{1B}8"
        // A failed write to the terminal leaves nothing to report to: the next full repaint redraws it.
        try? Array(out.utf8).withUnsafeBytes { try writeAll(fd: 1, $0, path: "terminal") }
    }

    /// A colour pair for chrome colours (nearest palette entries; −1 = terminal default), or pair 0
    /// (the terminal's colours) when ncurses has none left or refuses the combination.
    func pair(_ foreground: CellColor, _ background: CellColor) -> Int32 {
        func index(_ color: CellColor, foreground: Bool) -> Int32 {
            // Without use_default_colors, −1 is no colour at all: white on black stands in for it.
            guard case .rgb(let c) = color else { return defaultColors ? -1 : (foreground ? 7 : 0) }
            switch capability {
            case .trueColor, .palette256: return mw_colors() >= 256 ? Int32(encoder.index256(c)) : Int32(encoder.basicIndex(c))
            case .palette16, .palette8: return Int32(encoder.basicIndex(c))
            }
        }
        let (f, b) = (index(foreground, foreground: true), index(background, foreground: false))
        let key = Int64(f) << 32 | Int64(UInt32(bitPattern: b))
        if let known = pairs[key] { return known }
        let allocated = alloc_pair(f, b)
        let pair = allocated < 0 ? 0 : allocated
        pairs[key] = pair
        return pair
    }

    /// The next key or mouse event, or nil after the 50 ms poll timeout.
    public func nextInput() -> TerminalInput? {
        var character: wint_t = 0
        let status = wget_wch(mw_stdscr(), &character)
        if status == ERR { return nil }
        if status == KEY_CODE_YES {
            switch Int32(character) {
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_ENTER: return .key(.enter)
            case KEY_RESIZE: return .resize
            case KEY_MOUSE:
                var event = MEVENT()
                guard getmouse(&event) == OK else { return nil }
                if event.bstate & mw_wheel_up() != 0 { return .wheel(up: true, column: Int(event.x), row: Int(event.y)) }
                if mw_wheel_down() != 0 && event.bstate & mw_wheel_down() != 0 {
                    return .wheel(up: false, column: Int(event.x), row: Int(event.y))
                }
                return .click(column: Int(event.x), row: Int(event.y))
            default: return nil
            }
        }
        switch character {
        case 3: return .interrupt                 // Ctrl-C in raw mode
        case 26: return .suspend                  // Ctrl-Z
        case 12: return .redraw                   // Ctrl-L
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// Ctrl-Z: give the terminal back, stop, and repaint everything when resumed.
    public func suspend() {
        // A picture finishing its encoding must not land on the shell's screen.
        pictureWriter.cancel()
        pictureWriter.withOutputLock { _ = endwin() }
        kill(getpid(), SIGSTOP)
        _ = refresh()
        invalidate()
    }

    public func restore() {
        if pictureOnScreen { removePicture() }
        TerminalRestore.restore()
    }
}

/// Why curses cannot run on this terminal: one sentence each, saying what to do.
public enum CursesTerminalError: Error, CustomStringConvertible {
    case termUnset
    case unknownTerm(String)
    case cannotAddress(String)
    case noTerminal

    public var description: String {
        switch self {
        case .termUnset:
            return "TERM is not set, so the terminal type is unknown; set it (e.g. TERM=xterm-256color) or use `maskscope segment` to write results to files"
        case .unknownTerm(let term):
            return "terminal type '\(term)' has no terminfo entry; set TERM to one this system knows (e.g. xterm-256color, see `toe -a`) or install ncurses-term"
        case .cannotAddress(let term):
            return "terminal type '\(term)' cannot move the cursor, which the explorer needs; run it in a terminal such as xterm-256color or use `maskscope segment` to write results to files"
        case .noTerminal:
            return "cannot set up the terminal on stdin/stdout; run the explorer in a terminal or use `maskscope segment`"
        }
    }
}
