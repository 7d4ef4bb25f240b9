// What the explorer needs from a terminal, so the event loop (ExplorerLoop) runs the same on a real
// tty (CursesTerminal) and in tests and the redraw benchmark (InMemoryTerminal).

/// One input from the terminal, as the backend decoded it.
public enum TerminalInput: Sendable, Equatable {
    case key(ExplorerKey)
    /// A press of the first button at a cell.
    case click(column: Int, row: Int)
    case wheel(up: Bool, column: Int, row: Int)
    case resize, interrupt, suspend, redraw
}

public protocol Terminal: AnyObject {
    /// Cells on screen now.
    var size: (columns: Int, rows: Int) { get }
    /// No colours at all: the composer draws the picture as characters.
    var monochrome: Bool { get }
    /// How the picture reaches the screen (pixel protocol and cell size, or half-blocks).
    var graphics: GraphicsSetup { get }
    /// Shows `frame`: the grid's cells, and its picture where `graphics` has a pixel protocol.
    func present(_ frame: ComposedFrame)
    /// The next input, or nil when none came within the poll interval (results keep arriving meanwhile).
    func nextInput() -> TerminalInput?
    /// Forgets what is on screen, so the next frame is written whole.
    func invalidate()
    /// Ctrl-Z: hands the terminal back until the process is resumed.
    func suspend()
    /// After a resize: the cell size in pixels may have changed with the font.
    func rereadCellSize() -> GraphicsSetup
    /// Leaves the terminal as it was found.
    func restore()
}
