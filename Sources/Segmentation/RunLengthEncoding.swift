// COCO's compressed run-length encoding, as pycocotools writes it (maskApi.c rleEncode + rleToString),
// so `pycocotools.mask.decode` reads our instance masks.

/// `{"size": [h, w], "counts": "..."}` for a binary mask.
public struct CocoRLE: Sendable, Equatable, Codable {
    public var size: [Int]
    public var counts: String
}

/// Runs over the mask in column-major order, starting with a (possibly empty) run of zeros.
public func runLengths(_ mask: BinaryMask) -> [Int] {
    var counts: [Int] = []
    var current: UInt8 = 0
    var run = 0
    for x in 0..<mask.width {
        for y in 0..<mask.height {
            let bit: UInt8 = mask.bits[y * mask.width + x] != 0 ? 1 : 0
            if bit != current {
                counts.append(run)
                run = 0
                current = bit
            }
            run += 1
        }
    }
    counts.append(run)
    return counts
}

/// pycocotools' string form: each count (from the third on, as the difference to the count two
/// before) in 5-bit groups, low first, 0x20 marking "more", offset by 48 into printable ASCII.
public func cocoRLE(_ mask: BinaryMask) -> CocoRLE {
    let counts = runLengths(mask)
    var characters: [UInt8] = []
    for i in counts.indices {
        var x = counts[i]
        if i > 2 { x -= counts[i - 2] }
        var more = true
        while more {
            var c = UInt8(truncatingIfNeeded: x & 0x1F)
            x >>= 5   // arithmetic shift: negative differences end at −1
            more = (c & 0x10) != 0 ? x != -1 : x != 0
            if more { c |= 0x20 }
            characters.append(c + 48)
        }
    }
    return CocoRLE(size: [mask.height, mask.width], counts: String(decoding: characters, as: UTF8.self))
}

/// Decodes pycocotools' compressed string form back to a mask (rleFrString + rleDecode).
public func decodeCocoRLE(_ rle: CocoRLE) throws -> BinaryMask {
    guard rle.size.count == 2, rle.size[0] >= 0, rle.size[1] >= 0 else { throw RLEError.malformed("size must be [height, width]") }
    let height = rle.size[0], width = rle.size[1]
    let bytes = Array(rle.counts.utf8)
    var counts: [Int] = []
    var p = 0
    while p < bytes.count {
        var x = 0, k = 0, more = true
        while more {
            guard p < bytes.count, bytes[p] >= 48, bytes[p] < 48 + 64 else { throw RLEError.malformed("bad character in counts") }
            let c = Int(bytes[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = (c & 0x20) != 0
            p += 1; k += 1
            if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
        }
        if counts.count > 2 { x += counts[counts.count - 2] }
        counts.append(x)
    }
    guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == height * width else {
        throw RLEError.malformed("counts cover \(counts.reduce(0, +)) pixels, size says \(height * width)")
    }
    var bits = [UInt8](repeating: 0, count: height * width)
    var position = 0
    for (i, run) in counts.enumerated() {
        if i % 2 == 1 {
            for j in position..<(position + run) { bits[(j % height) * width + j / height] = 1 }   // column-major
        }
        position += run
    }
    return BinaryMask(width: width, height: height, bits: bits)
}

public enum RLEError: Error, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self { case .malformed(let detail): return "not a COCO compressed RLE: \(detail)" }
    }
}
