// Where a pixel-protocol picture goes and how many pixels it has: the visible part of the image
// fitted into the pane's pixels (cells × cell size), keeping its aspect ratio, centred, on whole
// cells. Sixel cannot be scaled by the terminal, so its picture is made at the size it is shown;
// kitty and iTerm2 scale a picture to the cells given, so theirs never has more pixels than the
// visible part of the image.

public struct PicturePlacement: Sendable, Equatable {
    /// Cells the picture covers.
    public var columns: Int
    public var rows: Int
    /// Pixels of the picture sent.
    public var width: Int
    public var height: Int

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
        guard terminalScales else { return PicturePlacement(columns: columns, rows: rows, width: shownWidth, height: shownHeight) }
        // The terminal stretches the picture over whole cells: send at most the image's own pixels.
        let sendScale = min(1, scale)
        return PicturePlacement(columns: columns, rows: rows,
                                width: max(1, Int(Double(visibleWidth) * sendScale)), height: max(1, Int(Double(visibleHeight) * sendScale)))
    }
}
