// The only ncurses code: terminal modes, input, resize, restore on exit and signals, and output of
// frames. ncurses owns the chrome and the input; the picture region is blank in ncurses' virtual
// screen and painted after each doupdate() by our own SGR writer, so 24-bit colour works on the
// terminals people actually have (../shared/TERMINAL.md §0.3). Only changed cells go out.

import CNCursesW
import Explorer
import FileIO
import Imaging
#if canImport(Glibc)
import Glibc
#endif

public final class CursesTerminal {
    public let capability: ColorCapability
    public let utf8: Bool
    private var previous: CellGrid?
    private var previousRegion = (column: 0, row: 0, columns: 0, rows: 0)
    private var pairs: [Int64: Int32] = [:]
    private var encoder: CellEncoder

    /// Starts curses on the terminal; call `restore()` (also done on signals) before exiting.
    public init(environment: [String: String]) {
        setlocale(LC_ALL, "")
        utf8 = String(cString: mw_codeset()).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        initscr()
        raw(); noecho(); nonl()
        keypad(mw_stdscr(), true)
        // ncurses must never shift characters or lines: it would drag the picture cells it does not know.
        idcok(mw_stdscr(), false)
        idlok(mw_stdscr(), false)
        set_escdelay(25)
        curs_set(0)
        start_color()
        use_default_colors()
        mousemask(mw_button1_pressed() | mw_wheel_up() | mw_wheel_down(), nil)
        mouseinterval(0)
        wtimeout(mw_stdscr(), 50)   // poll: inference results arrive while no key is pressed
        capability = ColorCapability.detect(environment: environment, terminfoColors: Int(mw_colors()))
        encoder = CellEncoder(capability: capability, utf8: utf8)
        TerminalRestore.install()
    }

    public var size: (columns: Int, rows: Int) { (Int(getmaxx(mw_stdscr())), Int(getmaxy(mw_stdscr()))) }

    /// Forgets what is on screen: the next frame is written whole (resize, resume, Ctrl-L).
    public func invalidate() {
        previous = nil
        clearok(mw_stdscr(), true)
    }

    /// Writes the cells of `frame` that changed since the last one.
    public func present(_ frame: ComposedFrame) {
        let grid = frame.grid
        let region = frame.imageRegion
        // ncurses never knew about the old picture cells: when the region moves, repaint everything.
        if previousRegion != region { invalidate() }
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
            _ = mw_put_cell(mw_stdscr(), Int32(row), Int32(column), wchar_t(scalar), pair(cell.foreground, cell.background),
                            cell.bold ? mw_a_bold() : 0)
        }
        wnoutrefresh(mw_stdscr())
        doupdate()
        writeRegion(grid, cells: regionCells)
        previous = grid
        previousRegion = region
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

    /// A colour pair for chrome colours (nearest palette entries; −1 = terminal default).
    func pair(_ foreground: CellColor, _ background: CellColor) -> Int32 {
        func index(_ color: CellColor) -> Int32 {
            guard case .rgb(let c) = color else { return -1 }
            switch capability {
            case .trueColor, .palette256: return mw_colors() >= 256 ? Int32(encoder.index256(c)) : Int32(encoder.basicIndex(c))
            case .palette16, .palette8: return Int32(encoder.basicIndex(c))
            }
        }
        let (f, b) = (index(foreground), index(background))
        let key = Int64(f) << 32 | Int64(UInt32(bitPattern: b))
        if let known = pairs[key] { return known }
        let pair = alloc_pair(f, b)
        pairs[key] = pair < 0 ? 0 : pair
        return pairs[key]!
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
        endwin()
        kill(getpid(), SIGSTOP)
        refresh()
        invalidate()
    }

    public func restore() { TerminalRestore.restore() }
}

public enum TerminalInput: Equatable {
    case key(ExplorerKey)
    case click(column: Int, row: Int)
    case wheel(up: Bool, column: Int, row: Int)
    case resize, interrupt, suspend, redraw
}
