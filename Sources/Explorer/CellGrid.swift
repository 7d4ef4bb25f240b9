// A frame of terminal cells: what the explorer draws, independent of any terminal. The curses
// backend writes only the cells that differ from the previous frame.

import Imaging

/// A cell's colour as the frame wants it; the backend maps it to what the terminal can show.
public enum CellColor: Sendable, Hashable {
    /// The terminal's own default foreground/background (themes and NO_COLOR respect it).
    case terminalDefault
    case rgb(RGBColor)
}

public struct Cell: Sendable, Hashable {
    public var glyph: Character
    public var foreground: CellColor
    public var background: CellColor
    public var bold: Bool
    /// Monochrome terminals mark the selection and the bars with reverse video, boundaries with underline.
    public var reverse: Bool
    public var underline: Bool

    public init(glyph: Character = " ", foreground: CellColor = .terminalDefault, background: CellColor = .terminalDefault,
                bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.glyph = glyph; self.foreground = foreground; self.background = background; self.bold = bold
        self.reverse = reverse; self.underline = underline
    }

    public static let blank = Cell()
}

public struct CellGrid: Sendable, Equatable {
    public let columns: Int
    public let rows: Int
    public private(set) var cells: [Cell]

    public init(columns: Int, rows: Int, filling cell: Cell = .blank) {
        precondition(columns >= 0 && rows >= 0)
        self.columns = columns
        self.rows = rows
        cells = Array(repeating: cell, count: columns * rows)
    }

    public subscript(column: Int, row: Int) -> Cell {
        get { cells[row * columns + column] }
        set { cells[row * columns + column] = newValue }
    }

    public func contains(column: Int, row: Int) -> Bool { column >= 0 && row >= 0 && column < columns && row < rows }

    /// Writes `text` from (column, row), clipped at the right edge; returns the column after it.
    @discardableResult
    public mutating func write(_ text: String, column: Int, row: Int, foreground: CellColor = .terminalDefault,
                               background: CellColor = .terminalDefault, bold: Bool = false, reverse: Bool = false) -> Int {
        var x = column
        for character in text where x < columns {
            if contains(column: x, row: row) {
                self[x, row] = Cell(glyph: character, foreground: foreground, background: background, bold: bold, reverse: reverse)
            }
            x += 1
        }
        return x
    }

    /// Positions whose cells differ from `previous` (all of them when the sizes differ).
    public func changedPositions(since previous: CellGrid?) -> [(column: Int, row: Int)] {
        guard let previous, previous.columns == columns, previous.rows == rows else {
            return (0..<(columns * rows)).map { ($0 % columns, $0 / columns) }
        }
        var changed: [(Int, Int)] = []
        for i in cells.indices where cells[i] != previous.cells[i] { changed.append((i % columns, i / columns)) }
        return changed
    }
}
