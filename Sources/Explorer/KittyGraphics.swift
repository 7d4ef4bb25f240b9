// Pictures through kitty's graphics protocol (kitty, Ghostty, WezTerm):
// https://sw.kovidgoyal.net/kitty/graphics-protocol/. The pane is one image with a fixed id and one
// placement with a fixed id, so sending a new picture replaces the old one instead of stacking
// another, and leaving pixel mode deletes it. Raw 24-bit RGB (f=24), base64 in chunks of 4096.

import Foundation
import Imaging

public enum KittyGraphics {
    public static let paneImageID = 1
    public static let panePlacementID = 1
    static let chunkSize = 4096

    /// Transmit and place `image` at the cursor, scaled by the terminal to `columns × rows` cells.
    /// C=1 leaves the cursor where it was; q=2 keeps the terminal from answering.
    public static func place(_ image: RGBImage, columns: Int, rows: Int,
                             imageID: Int = paneImageID, placementID: Int = panePlacementID) -> [UInt8] {
        let payload = Array(Data(image.pixels).base64EncodedData())
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + payload.count / chunkSize * 16 + 128)
        let control = "a=T,f=24,s=\(image.width),v=\(image.height),i=\(imageID),p=\(placementID),c=\(columns),r=\(rows),C=1,q=2"
        var offset = 0
        repeat {
            let end = min(payload.count, offset + chunkSize)
            let more = end < payload.count ? 1 : 0
            out += Array("\u{1B}_G\(offset == 0 ? control + "," : "")m=\(more);".utf8)
            out += payload[offset..<end]
            out += [0x1B, UInt8(ascii: "\\")]
            offset = end
        } while offset < payload.count
        return out
    }

    /// Deletes the image and its placements, freeing the terminal's copy (d=I).
    public static func delete(imageID: Int = paneImageID) -> [UInt8] {
        Array("\u{1B}_Ga=d,d=I,i=\(imageID),q=2\u{1B}\\".utf8)
    }
}
