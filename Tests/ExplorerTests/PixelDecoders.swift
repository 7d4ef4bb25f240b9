// Decoders for what the graphics encoders emit, written from the protocols' documentation and not
// from the encoders, so a test can turn the bytes back into pixels and compare them with the pane.

import Foundation
import Imaging

enum DecodeFailure: Error, CustomStringConvertible {
    case malformed(String)
    var description: String { if case .malformed(let why) = self { return why }; return "" }
}

/// A sixel stream (DCS … q … ST) as an image; every pixel must be drawn exactly once per band row.
func decodeSixel(_ bytes: [UInt8]) throws -> RGBImage {
    guard let q = bytes.firstIndex(of: UInt8(ascii: "q")), bytes.starts(with: [0x1B, UInt8(ascii: "P")]) else {
        throw DecodeFailure.malformed("no DCS … q introducer")
    }
    guard bytes.suffix(2) == [0x1B, UInt8(ascii: "\\")] else { throw DecodeFailure.malformed("no ST at the end") }
    var i = q + 1
    let end = bytes.count - 2
    func number() -> Int {
        var n = 0
        while i < end, (48...57).contains(bytes[i]) { n = n * 10 + Int(bytes[i] - 48); i += 1 }
        return n
    }
    func numbers() -> [Int] {
        var values = [number()]
        while i < end, bytes[i] == UInt8(ascii: ";") { i += 1; values.append(number()) }
        return values
    }
    var width = 0, height = 0
    var registers: [Int: RGBColor] = [:]
    var pixels: [UInt8] = [], drawn: [Bool] = []
    var color = 0, x = 0, top = 0
    func put(_ sixel: UInt8, _ count: Int) throws {
        for _ in 0..<count {
            for bit in 0..<6 where sixel & (1 << bit) != 0 {
                let y = top + bit
                guard x < width, y < height else { throw DecodeFailure.malformed("pixel (\(x), \(y)) outside \(width)×\(height)") }
                guard let c = registers[color] else { throw DecodeFailure.malformed("register \(color) used before it is set") }
                let p = (y * width + x) * 3
                pixels[p] = c.r; pixels[p + 1] = c.g; pixels[p + 2] = c.b
                drawn[y * width + x] = true
            }
            x += 1
        }
    }
    while i < end {
        let byte = bytes[i]
        switch byte {
        case UInt8(ascii: "\""):
            i += 1
            let raster = numbers()
            guard raster.count == 4 else { throw DecodeFailure.malformed("raster attributes \(raster)") }
            (width, height) = (raster[2], raster[3])
            pixels = [UInt8](repeating: 0, count: width * height * 3)
            drawn = [Bool](repeating: false, count: width * height)
        case UInt8(ascii: "#"):
            i += 1
            let values = numbers()
            color = values[0]
            if values.count == 5 {
                guard values[1] == 2, values[2...4].allSatisfy({ $0 <= 100 }) else { throw DecodeFailure.malformed("colour \(values)") }
                func level(_ p: Int) -> UInt8 { UInt8((p * 255 + 50) / 100) }
                registers[color] = RGBColor(r: level(values[2]), g: level(values[3]), b: level(values[4]))
            }
        case UInt8(ascii: "!"):
            i += 1
            let count = number()
            guard i < end, (63...126).contains(bytes[i]) else { throw DecodeFailure.malformed("repeat without a sixel") }
            try put(bytes[i] - 63, count)
            i += 1
        case UInt8(ascii: "$"): x = 0; i += 1
        case UInt8(ascii: "-"): x = 0; top += 6; i += 1
        case 63...126: try put(byte - 63, 1); i += 1
        default: throw DecodeFailure.malformed("unexpected byte \(byte) at \(i)")
        }
    }
    guard drawn.allSatisfy({ $0 }) else { throw DecodeFailure.malformed("\(drawn.filter { !$0 }.count) pixels never drawn") }
    return try RGBImage(width: width, height: height, pixels: pixels)
}

/// The control keys and joined payload of a kitty graphics transmission (chunks joined by m=1).
func decodeKitty(_ bytes: [UInt8]) throws -> (keys: [String: String], payload: Data) {
    let text = String(decoding: bytes, as: UTF8.self)
    var keys: [String: String] = [:]
    var base64 = ""
    var rest = Substring(text)
    var more = true
    while more {
        guard rest.hasPrefix("\u{1B}_G"), let close = rest.range(of: "\u{1B}\\") else { throw DecodeFailure.malformed("not an APC G chunk") }
        let body = rest[rest.index(rest.startIndex, offsetBy: 3)..<close.lowerBound]
        guard let semicolon = body.firstIndex(of: ";") else { throw DecodeFailure.malformed("chunk without payload") }
        var chunkKeys: [String: String] = [:]
        for pair in body[..<semicolon].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw DecodeFailure.malformed("key \(pair)") }
            chunkKeys[String(parts[0])] = String(parts[1])
        }
        if keys.isEmpty { keys = chunkKeys }
        more = chunkKeys["m"] == "1"
        base64 += body[body.index(after: semicolon)...]
        rest = rest[close.upperBound...]
    }
    guard rest.isEmpty else { throw DecodeFailure.malformed("bytes after the last chunk") }
    guard let payload = Data(base64Encoded: base64) else { throw DecodeFailure.malformed("payload is not base64") }
    return (keys, payload)
}
