// Pictures as iTerm2 inline images (OSC 1337 File=, https://iterm2.com/documentation-images.html):
// a PNG in base64, scaled by the terminal to the pane's cells. There are no ids, so each picture is
// drawn over the last one at the same place.

import Foundation
import Imaging

public enum ITerm2Image {
    public static func place(_ image: RGBImage, columns: Int, rows: Int) throws -> [UInt8] {
        let png = try encodePNG(image)
        return Array(("\u{1B}]1337;File=inline=1;size=\(png.count);width=\(columns);height=\(rows);preserveAspectRatio=0:"
                      + Data(png).base64EncodedString() + "\u{07}").utf8)
    }
}
