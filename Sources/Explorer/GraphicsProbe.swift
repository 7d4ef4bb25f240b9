// The questions asked of the terminal before curses starts, and how its answers are read. The
// kitty graphics query, XTSMGRAPHICS (sixel colour registers), CSI 16 t (cell size) and last DA1,
// which every terminal answers: once DA1's reply is in, nothing else is coming (kitty's own advice,
// https://sw.kovidgoyal.net/kitty/graphics-protocol/#querying-support-and-available-transmission-mediums).
// The I/O lives in CursesTerminal; this part is pure so scripted replies can test it.

public enum GraphicsProbe {
    /// The kitty query uses a 1×1 direct image with an id no picture uses; a=q stores nothing.
    public static let kittyQueryID = 31
    public static var query: [UInt8] {
        Array(("\u{1B}_Gi=\(kittyQueryID),s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"   // kitty graphics query
               + "\u{1B}[?1;1;0S"                                            // XTSMGRAPHICS: colour registers
               + "\u{1B}[?2;1;0S"                                            // XTSMGRAPHICS: largest sixel image
               + "\u{1B}[16t"                                                // cell size in pixels
               + "\u{1B}[c").utf8)                                           // DA1: the sentinel
    }

    /// The longest the probe waits for DA1's answer (the budget).
    public static let timeoutSeconds = 0.15
}

/// What the terminal said. `complete` once DA1's reply arrived.
public struct TerminalReplies: Sendable, Equatable {
    public var kittyGraphics = false
    public var deviceAttributes: [Int]? = nil
    public var colorRegisters: Int? = nil
    public var sixelMaximum: PixelSize? = nil
    public var cellPixels: PixelSize? = nil

    public init() {}

    public var complete: Bool { deviceAttributes != nil }
    /// DA1 attribute 4: sixel graphics.
    public var sixel: Bool { deviceAttributes?.dropFirst().contains(4) ?? false }

    /// Reads every reply in `bytes` (a prefix of the stream is fine: incomplete sequences are skipped).
    public static func parse(_ bytes: [UInt8]) -> TerminalReplies {
        var replies = TerminalReplies()
        var i = 0
        let escape: UInt8 = 0x1B
        while i < bytes.count {
            guard bytes[i] == escape, i + 1 < bytes.count else { i += 1; continue }
            if bytes[i + 1] == UInt8(ascii: "_") {
                // APC … ST: a kitty graphics reply "Gi=31;OK" (or an error text).
                guard let end = stringTerminator(bytes, from: i + 2) else { break }
                let body = String(decoding: bytes[(i + 2)..<end], as: UTF8.self)
                if body.hasPrefix("G"), let semicolon = body.firstIndex(of: ";") {
                    let keys = body[body.index(after: body.startIndex)..<semicolon].split(separator: ",")
                    if keys.contains("i=\(GraphicsProbe.kittyQueryID)") && body[body.index(after: semicolon)...].hasPrefix("OK") {
                        replies.kittyGraphics = true
                    }
                }
                i = end + 2
                continue
            }
            guard bytes[i + 1] == UInt8(ascii: "[") else { i += 2; continue }
            // CSI [private marker] parameters final.
            var j = i + 2
            let privateMarker = j < bytes.count && bytes[j] == UInt8(ascii: "?")
            if privateMarker { j += 1 }
            let start = j
            while j < bytes.count, (0x30...0x3F).contains(bytes[j]) { j += 1 }
            guard j < bytes.count else { break }
            let parameters = String(decoding: bytes[start..<j], as: UTF8.self).split(separator: ";", omittingEmptySubsequences: false)
                .map { Int($0) ?? 0 }
            switch (privateMarker, bytes[j]) {
            case (true, UInt8(ascii: "c")):
                replies.deviceAttributes = parameters
            case (true, UInt8(ascii: "S")):
                // XTSMGRAPHICS reply: item (1 colour registers, 2 geometry), status 0 (success), values.
                if parameters.count >= 3, parameters[0] == 1, parameters[1] == 0, parameters[2] > 0 {
                    replies.colorRegisters = parameters[2]
                }
                if parameters.count >= 4, parameters[0] == 2, parameters[1] == 0, parameters[2] > 0, parameters[3] > 0 {
                    replies.sixelMaximum = PixelSize(width: parameters[2], height: parameters[3])
                }
            case (false, UInt8(ascii: "t")):
                // CSI 6 ; height ; width t
                if parameters.count >= 3, parameters[0] == 6, parameters[1] > 0, parameters[2] > 0 {
                    replies.cellPixels = PixelSize(width: parameters[2], height: parameters[1])
                }
            default:
                break
            }
            i = j + 1
        }
        return replies
    }

    /// The index of ESC of the ESC \ that ends a string starting at `from`, or nil when not there yet.
    static func stringTerminator(_ bytes: [UInt8], from: Int) -> Int? {
        var k = from
        while k + 1 < bytes.count {
            if bytes[k] == 0x1B && bytes[k + 1] == UInt8(ascii: "\\") { return k }
            k += 1
        }
        return nil
    }
}

/// tmux hands a sequence to the outer terminal when it is wrapped in DCS tmux; … ST with every
/// ESC doubled (allow-passthrough on).
public func tmuxPassthrough(_ sequence: [UInt8]) -> [UInt8] {
    var out: [UInt8] = Array("\u{1B}Ptmux;".utf8)
    out.reserveCapacity(sequence.count + sequence.count / 8 + 16)
    for byte in sequence {
        if byte == 0x1B { out.append(0x1B) }
        out.append(byte)
    }
    out += Array("\u{1B}\\".utf8)
    return out
}
