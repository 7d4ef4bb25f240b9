// One 8-bit RGB colour, as theme files and overlays write it.

/// An 8-bit sRGB colour.
public struct RGBColor: Sendable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Parses `#rrggbb` (case-insensitive; the `#` is required). Throws `ImagingError.invalidColor`.
    public init(hex: String) throws {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 7, utf8[0] == UInt8(ascii: "#") else { throw ImagingError.invalidColor(hex) }
        var value: UInt32 = 0
        for c in utf8[1...] {
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw ImagingError.invalidColor(hex)
            }
            value = value << 4 | UInt32(digit)
        }
        r = UInt8(truncatingIfNeeded: value >> 16)
        g = UInt8(truncatingIfNeeded: value >> 8)
        b = UInt8(truncatingIfNeeded: value)
    }

    /// `#rrggbb`, lower case.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "#")]
        for v in [r, g, b] { out.append(digits[Int(v >> 4)]); out.append(digits[Int(v & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }
}
