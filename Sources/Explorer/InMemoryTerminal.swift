// A terminal with no tty: it records every frame presented and replays scripted input, so tests
// drive the real event loop (ExplorerLoop) and read what a person would see.

public final class InMemoryTerminal: Terminal {
    public var size: (columns: Int, rows: Int)
    public let monochrome: Bool
    public private(set) var graphics: GraphicsSetup
    /// Every frame presented, oldest first.
    public private(set) var frames: [ComposedFrame] = []
    /// Scripted input, replayed one per poll: nil stands for a poll with no key.
    private var script: [TerminalInput?]
    public private(set) var invalidations = 0
    public private(set) var restored = false

    /// When the script runs out the terminal sends Ctrl-C, so a loop under test always ends.
    public init(columns: Int = 200, rows: Int = 60, monochrome: Bool = false, graphics: GraphicsSetup = .halfBlocks,
                input: [TerminalInput?] = []) {
        size = (columns, rows)
        self.monochrome = monochrome
        self.graphics = graphics
        script = input
    }

    public func present(_ frame: ComposedFrame) { frames.append(frame) }

    public func nextInput() -> TerminalInput? {
        guard !script.isEmpty else { return .interrupt }
        return script.removeFirst()
    }

    /// Queues more input after what is left.
    public func type(_ input: [TerminalInput?]) { script += input }

    public func invalidate() { invalidations += 1 }
    public func suspend() { invalidate() }
    public func rereadCellSize() -> GraphicsSetup { graphics }
    public func restore() { restored = true }

    /// The last frame's glyphs, one string per row (what `tmux capture-pane -p` would show).
    public var screenText: [String] {
        guard let grid = frames.last?.grid else { return [] }
        return (0..<grid.rows).map { r in String((0..<grid.columns).map { grid[$0, r].glyph }) }
    }
}
