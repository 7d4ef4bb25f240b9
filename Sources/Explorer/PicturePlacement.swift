// Where a pixel-protocol picture goes and how many pixels it has: the visible part of the image
// fitted into the pane's pixels (cells × cell size), keeping its aspect ratio, centred, on whole
// cells. The picture is rendered with at most the visible part's own pixels: kitty and iTerm2 scale
// it to the cells given; sixel cannot be scaled by the terminal, so its encoder enlarges it to the
// shown size (SixelEncoder), which is far cheaper than rendering the pane at that size.

public struct PicturePlacement: Sendable, Equatable {
    /// Cells the picture covers.
    public var columns: Int
    public var rows: Int
    /// Pixels of the picture rendered (and sent, for kitty and iTerm2).
    public var width: Int
    public var height: Int
    /// Pixels it covers on the screen: what a sixel picture is enlarged to.
    public var shownWidth: Int
    public var shownHeight: Int

    public init(columns: Int, rows: Int, width: Int, height: Int, shownWidth: Int? = nil, shownHeight: Int? = nil) {
        self.columns = columns; self.rows = rows; self.width = width; self.height = height
        self.shownWidth = shownWidth ?? width; self.shownHeight = shownHeight ?? height
    }

    /// `visibleWidth × visibleHeight`: the image pixels shown (zoom and pan); `maximum`: the
    /// terminal's largest picture (XTSMGRAPHICS), if it said.
    public static func fit(visibleWidth: Int, visibleHeight: Int, paneColumns: Int, paneRows: Int, cell: PixelSize,
                           terminalScales: Bool, maximum: PixelSize? = nil) -> PicturePlacement {
        guard visibleWidth > 0, visibleHeight > 0, paneColumns > 0, paneRows > 0, cell.width > 0, cell.height > 0 else {
            return PicturePlacement(columns: 0, rows: 0, width: 0, height: 0)
        }
        var boxWidth = Double(paneColumns * cell.width), boxHeight = Double(paneRows * cell.height)
        if let maximum, !terminalScales {
            boxWidth = min(boxWidth, Double(maximum.width)); boxHeight = min(boxHeight, Double(maximum.height))
        }
        let scale = min(boxWidth / Double(visibleWidth), boxHeight / Double(visibleHeight))
        let shownWidth = max(1, Int(Double(visibleWidth) * scale)), shownHeight = max(1, Int(Double(visibleHeight) * scale))
        let columns = min(paneColumns, (shownWidth + cell.width - 1) / cell.width)
        let rows = min(paneRows, (shownHeight + cell.height - 1) / cell.height)
        // Never more than the image's own pixels: enlarging is the terminal's (kitty, iTerm2: stretched
        // over whole cells) or the sixel encoder's job.
        let width = scale >= 1 ? visibleWidth : shownWidth, height = scale >= 1 ? visibleHeight : shownHeight
        return PicturePlacement(columns: columns, rows: rows, width: max(1, width), height: max(1, height),
                                shownWidth: terminalScales ? max(1, width) : shownWidth, shownHeight: terminalScales ? max(1, height) : shownHeight)
    }
}
