// One pixel picture of a frame and the cells it covers: the pane's photo, a filmstrip thumbnail.
// Its bytes for the terminal are the protocol's image between a saved and a restored cursor, so
// ncurses' idea of the cursor and colours is not disturbed.

import Imaging

public struct PlacedPicture: Sendable, Equatable {
    /// Pictures of one frame, compared as `isSame` does.
    public static func same(_ a: [PlacedPicture], _ b: [PlacedPicture]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.isSame(as: $1) }
    }

    public var image: RGBImage
    /// The cells it covers (top-left cell, size).
    public var column: Int
    public var row: Int
    public var columns: Int
    public var rows: Int
    /// The pixels it covers on screen: a sixel picture is enlarged to it while encoding.
    public var shown: PixelSize
    /// kitty's image and placement id: each picture of a frame has its own, so a new picture
    /// replaces the old one in place instead of stacking another.
    public var imageID: Int

    public init(image: RGBImage, column: Int, row: Int, columns: Int, rows: Int, shown: PixelSize? = nil, imageID: Int = KittyGraphics.paneImageID) {
        self.image = image; self.column = column; self.row = row; self.columns = columns; self.rows = rows
        self.shown = shown ?? PixelSize(width: image.width, height: image.height); self.imageID = imageID
    }

    /// The same picture at the same place, told by the pixels' storage instead of comparing a
    /// megabyte byte by byte: PictureCache hands out the same storage for an unchanged state, and
    /// whoever compares keeps the older picture, so its storage cannot be reused by another.
    public func isSame(as other: PlacedPicture) -> Bool {
        guard column == other.column, row == other.row, columns == other.columns, rows == other.rows, shown == other.shown,
              imageID == other.imageID, image.width == other.image.width, image.height == other.image.height else { return false }
        return image.pixels.withUnsafeBufferPointer { a in other.image.pixels.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }

    /// Whether the cell (column, row) is under the picture.
    public func covers(column c: Int, row r: Int) -> Bool {
        c >= column && c < column + columns && r >= row && r < row + rows
    }

    /// The bytes that draw it with `setup`'s protocol (wrapped for tmux when it passes them on);
    /// empty for half-blocks or a picture iTerm2's PNG encoder refuses.
    public func sequence(setup: GraphicsSetup) -> [UInt8] {
        var image: [UInt8]
        switch setup.protocolInUse {
        case .kitty:
            image = KittyGraphics.place(self.image, columns: columns, rows: rows, imageID: imageID, placementID: KittyGraphics.panePlacementID)
        case .sixel:
            image = SixelEncoder.encode(self.image, registers: setup.colorRegisters ?? 256, width: shown.width, height: shown.height)
        case .iterm2:
            guard let png = try? ITerm2Image.place(self.image, columns: columns, rows: rows) else { return [] }
            image = png
        case .halfblocks:
            return []
        }
        if setup.tmuxPassthrough { image = tmuxPassthrough(image) }
        var out = Array("\u{1B}7\u{1B}[\(row + 1);\(column + 1)H".utf8)
        out += image
        out += Array("\u{1B}8".utf8)
        return out
    }
}
