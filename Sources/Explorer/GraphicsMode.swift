// Which way the picture pane reaches the screen: a pixel protocol (kitty graphics, sixel, iTerm2
// inline images) or half-block cells. Chosen from --graphics / MASKSCOPE_GRAPHICS, then environment
// hints, then the terminal's answers to a short probe (GraphicsProbe); half-blocks when in doubt.

/// What the user asked for.
public enum GraphicsRequest: String, Sendable, CaseIterable {
    case auto, kitty, sixel, iterm2, halfblocks

    /// The option wins over MASKSCOPE_GRAPHICS; neither means `auto`. Nil for an unknown name.
    public static func from(option: String?, environment: [String: String]) -> GraphicsRequest? {
        let text = option ?? environment["MASKSCOPE_GRAPHICS"].flatMap { $0.isEmpty ? nil : $0 } ?? "auto"
        return GraphicsRequest(rawValue: text.lowercased())
    }
}

/// How the picture is drawn.
public enum GraphicsProtocol: String, Sendable, CaseIterable {
    case kitty, sixel, iterm2, halfblocks
}

/// The decision, with the cell size in pixels that pixel protocols draw at and a note for the
/// status line when a protocol was wanted but cannot be used.
public struct GraphicsSetup: Sendable, Equatable {
    public var protocolInUse: GraphicsProtocol
    public var cellPixels: PixelSize?
    /// Inside tmux with allow-passthrough on: every graphics sequence is wrapped for the outer terminal.
    public var tmuxPassthrough: Bool
    /// Sixel colour registers the terminal has (XTSMGRAPHICS), nil when it did not say.
    public var colorRegisters: Int?
    /// The largest sixel image the terminal draws (XTSMGRAPHICS), nil when it did not say.
    public var sixelMaximum: PixelSize?
    public var note: String

    public init(protocolInUse: GraphicsProtocol, cellPixels: PixelSize? = nil, tmuxPassthrough: Bool = false,
                colorRegisters: Int? = nil, note: String = "") {
        self.protocolInUse = protocolInUse; self.cellPixels = cellPixels; self.tmuxPassthrough = tmuxPassthrough
        self.colorRegisters = colorRegisters; self.note = note
    }

    public static let halfBlocks = GraphicsSetup(protocolInUse: .halfblocks)

    /// Pixel protocols draw only where the cell size is known: the picture is made for it.
    public var pixelCell: PixelSize? { protocolInUse == .halfblocks ? nil : cellPixels }
}

public struct PixelSize: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
}

public enum GraphicsSelection {
    /// What the environment says about the terminal without asking it (chafa's and timg's rules).
    public static func hint(environment: [String: String]) -> GraphicsProtocol? {
        let term = environment["TERM"]?.lowercased() ?? ""
        let program = environment["TERM_PROGRAM"] ?? ""
        if term == "xterm-kitty" || term == "xterm-ghostty" || !(environment["KITTY_WINDOW_ID"] ?? "").isEmpty
            || program == "ghostty" { return .kitty }
        if program == "iTerm.app" { return .iterm2 }
        if program == "WezTerm" || term.hasPrefix("foot") || term.hasPrefix("mlterm") || term.hasPrefix("contour") { return .sixel }
        return nil
    }

    /// Whether the probe is worth its ≤ 150 ms: it answers the protocol for `auto` and the cell size
    /// for every pixel protocol when the kernel did not report one.
    public static func needsProbe(request: GraphicsRequest, environment: [String: String], kernelCell: PixelSize?) -> Bool {
        switch request {
        case .halfblocks: return false
        case .auto: return hint(environment: environment) == nil || kernelCell == nil
        case .kitty, .sixel, .iterm2: return kernelCell == nil
        }
    }

    /// Whether `tmux -V`'s answer ("tmux 3.4", "tmux 3.3a", "tmux next-3.5") names a tmux that can draw
    /// sixel itself: 3.4 and later, when built with it, which its own DA1 then says (attribute 4).
    /// A version that does not parse (a build from git: "tmux master") is asked too.
    public static func tmuxMayDrawSixel(version: String) -> Bool {
        var text = Substring(version.trimmingCharacters(in: .whitespacesAndNewlines))
        if text.hasPrefix("tmux ") { text = text.dropFirst(5) }
        if text.hasPrefix("next-") { text = text.dropFirst(5) }
        let numbers = text.split(separator: ".", maxSplits: 1).map { Int($0.prefix { $0.isNumber }) }
        guard numbers.count == 2, let major = numbers[0], let minor = numbers[1] else { return true }
        return (major, minor) >= (3, 4)
    }

    /// The protocol to use. `insideTmux`/`passthrough`: `$TMUX` is set and whether tmux's
    /// allow-passthrough is on; `tmuxSixel`: without passthrough, `replies` are tmux's own and tmux
    /// may draw sixel itself (tmuxMayDrawSixel); `kernelCell`: TIOCGWINSZ's pixel size per cell when
    /// it gave one.
    public static func decide(request: GraphicsRequest, environment: [String: String], insideTmux: Bool,
                              passthrough: Bool, tmuxSixel: Bool = false, kernelCell: PixelSize?, replies: TerminalReplies?) -> GraphicsSetup {
        if request == .halfblocks { return .halfBlocks }
        if insideTmux && !passthrough {
            // tmux ≥ 3.4 built with sixel draws it into the pane like any text: no passthrough needed.
            if tmuxSixel, request == .auto || request == .sixel, replies?.sixel == true,
               let cell = kernelCell ?? replies?.cellPixels, cell.width > 0, cell.height > 0 {
                var setup = GraphicsSetup(protocolInUse: .sixel, cellPixels: cell, colorRegisters: replies?.colorRegisters)
                setup.sixelMaximum = replies?.sixelMaximum
                return setup
            }
            return GraphicsSetup(protocolInUse: .halfblocks,
                                 note: "half-blocks: tmux passthrough is off (tmux set -g allow-passthrough on for full resolution)")
        }
        let chosen: GraphicsProtocol
        switch request {
        case .kitty: chosen = .kitty
        case .sixel: chosen = .sixel
        case .iterm2: chosen = .iterm2
        case .halfblocks: chosen = .halfblocks
        case .auto:
            if let hinted = hint(environment: environment) { chosen = hinted }
            else if replies?.kittyGraphics == true { chosen = .kitty }
            else if replies?.sixel == true { chosen = .sixel }
            else { chosen = .halfblocks }
        }
        guard chosen != .halfblocks else { return .halfBlocks }
        guard let cell = kernelCell ?? replies?.cellPixels, cell.width > 0, cell.height > 0 else {
            return GraphicsSetup(protocolInUse: .halfblocks,
                                 note: "half-blocks: the terminal did not report its cell size in pixels, which \(chosen.rawValue) pictures need")
        }
        var setup = GraphicsSetup(protocolInUse: chosen, cellPixels: cell, tmuxPassthrough: insideTmux,
                                  colorRegisters: replies?.colorRegisters)
        setup.sixelMaximum = replies?.sixelMaximum
        return setup
    }
}
