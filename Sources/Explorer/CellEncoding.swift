// The escape sequence that draws one picture cell, for each colour capability: 24-bit
// (38;2;r;g;b), the 256-colour cube and grey ramp (38;5;n), or the 8 basic colours. Without a
// UTF-8 locale a cell cannot show ▀, so it becomes a space in the mean colour of its two halves.

import Imaging

public struct CellEncoder: Sendable {
    public var capability: ColorCapability
    public var utf8: Bool
    private var nearest: [RGBColor: Int] = [:]

    public init(capability: ColorCapability, utf8: Bool) {
        self.capability = capability
        self.utf8 = utf8
    }

    /// The glyph the terminal should print for `cell`.
    public func glyph(_ cell: Cell) -> String { utf8 ? String(cell.glyph) : " " }

    /// `ESC[…m` selecting the cell's colours.
    public mutating func sgr(_ cell: Cell) -> String {
        var parts: [String] = []
        var background = cell.background
        if !utf8, cell.glyph != " ", case .rgb(let upper) = cell.foreground, case .rgb(let lower) = cell.background {
            background = .rgb(RGBColor(r: UInt8((Int(upper.r) + Int(lower.r)) / 2), g: UInt8((Int(upper.g) + Int(lower.g)) / 2),
                                       b: UInt8((Int(upper.b) + Int(lower.b)) / 2)))
        }
        if utf8 { parts.append(code(cell.foreground, foreground: true)) }
        parts.append(code(background, foreground: false))
        return "\u{1B}[" + parts.joined(separator: ";") + "m"
    }

    mutating func code(_ color: CellColor, foreground: Bool) -> String {
        guard case .rgb(let c) = color else { return foreground ? "39" : "49" }
        switch capability {
        case .trueColor: return "\(foreground ? 38 : 48);2;\(c.r);\(c.g);\(c.b)"
        case .palette256: return "\(foreground ? 38 : 48);5;\(index256(c))"
        case .palette16, .palette8: return String((foreground ? 30 : 40) + basicIndex(c))
        }
    }

    /// Nearest entry 16…255, cached (frames repeat colours).
    public mutating func index256(_ color: RGBColor) -> Int {
        if let known = nearest[color] { return known }
        let index = ColorQuantizer.nearest256(color)
        nearest[color] = index
        return index
    }

    /// The nearest of the 8 basic colours (bit 0 red, 1 green, 2 blue).
    public func basicIndex(_ c: RGBColor) -> Int {
        (c.r > 127 ? 1 : 0) | (c.g > 127 ? 2 : 0) | (c.b > 127 ? 4 : 0)
    }
}
