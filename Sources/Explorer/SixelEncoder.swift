// Pictures as sixel (DEC's bitmap format, what xterm -ti vt340, foot, mlterm, WezTerm, Konsole and
// Windows Terminal draw). A sixel is one column of six pixels in one colour register; an image is
// bands of six rows, each band one pass per colour with run-length repeats. Terminals have a fixed
// number of registers (xterm as a VT340: 16), so the palette is chosen per picture by median cut
// over a 5-bit-per-channel histogram. Cost: `maskscope bench IMAGE --redraw --graphics sixel`
// (a 640×480 picture shown at 1546×1160: 10 ms median on a shared 2-core EPYC, release), paid off
// the UI thread (PictureWriter).

import Imaging

public enum SixelEncoder {
    /// A picture reduced to a palette: what the sixel stream encodes, exactly.
    public struct Quantized: Sendable, Equatable {
        public var palette: [RGBColor]
        /// Row-major palette indices, one per pixel.
        public var indices: [UInt8]
        public var width: Int
        public var height: Int
    }

    /// The sixel stream for `image` with at most `registers` colours (2…256): DCS q, raster
    /// attributes (square pixels, the size), the palette in percent, the bands, ST.
    public static func encode(_ image: RGBImage, registers: Int = 256) -> [UInt8] {
        encode(quantize(image, registers: registers))
    }

    /// `image` shown at `width × height` pixels (nearest-neighbour enlargement while encoding).
    public static func encode(_ image: RGBImage, registers: Int = 256, width: Int, height: Int) -> [UInt8] {
        encode(quantize(image, registers: registers), width: width, height: height)
    }

    /// The stream for `q` shown at `width × height` pixels (at least its own size): sixel cannot be
    /// scaled by the terminal, so a picture rendered at the image's resolution is enlarged here, by
    /// nearest neighbour, while encoding — runs just get longer, and no enlarged copy is made.
    public static func encode(_ q: Quantized, width shownWidth: Int? = nil, height shownHeight: Int? = nil) -> [UInt8] {
        let w = q.width, h = q.height
        let width = max(w, shownWidth ?? w), height = max(h, shownHeight ?? h)
        var out: [UInt8] = []
        out.reserveCapacity(w * h / 2 + 4096)
        // No nested functions over `out`: a captured variable is checked for exclusive access at
        // every use, which was a fifth of the encode.
        // P2 = 1: pixels not drawn keep what is under them (there are none: every pixel is drawn).
        out.append(contentsOf: "\u{1B}P0;1;0q\"1;1;\(width);\(height)".utf8)
        for (index, color) in q.palette.enumerated() {
            out.append(contentsOf: "#\(index);2;\(percent(color.r));\(percent(color.g));\(percent(color.b))".utf8)
        }
        guard w > 0, h > 0, q.indices.count >= w * h else { out.append(contentsOf: [0x1B, UInt8(ascii: "\\")]); return out }
        let colors = 256
        // Output column x shows source column x·w/width, so source column s covers [start[s], start[s+1]).
        let start = (0...w).map { ($0 * width + w - 1) / w }
        // Per band: bits[c·w + s], the six-pixel column of colour c at source column s; each colour's
        // columns in a linked list (head/tail/next over entries), so a colour costs what it covers,
        // not the band's width.
        var bits = [UInt8](repeating: 0, count: colors * w)
        var head = [Int32](repeating: -1, count: colors), tail = [Int32](repeating: -1, count: colors)
        var entryColumn = [Int32](repeating: 0, count: 6 * w), next = [Int32](repeating: -1, count: 6 * w)
        var used: [Int] = []
        // The band's source rows: an enlarged picture repeats each one over several output rows, so
        // the rows of a band that show the same source row are read once, with all their sixel bits.
        var rowOffsets = [Int](repeating: 0, count: 6), rowMasks = [UInt8](repeating: 0, count: 6)
        q.indices.withUnsafeBufferPointer { indices in
            for top in stride(from: 0, to: height, by: 6) {
                used.removeAll(keepingCapacity: true)
                var entries: Int32 = 0
                var rowCount = 0
                for dy in 0..<min(6, height - top) {
                    let offset = ((top + dy) * h / height) * w
                    if rowCount > 0 && rowOffsets[rowCount - 1] == offset { rowMasks[rowCount - 1] |= UInt8(1) << dy }
                    else { rowOffsets[rowCount] = offset; rowMasks[rowCount] = UInt8(1) << dy; rowCount += 1 }
                }
                for s in 0..<w {
                    for r in 0..<rowCount {
                        let c = Int(indices[rowOffsets[r] + s])
                        let key = c * w + s
                        if bits[key] == 0 {
                            if head[c] < 0 { used.append(c); head[c] = entries } else { next[Int(tail[c])] = entries }
                            tail[c] = entries; entryColumn[Int(entries)] = Int32(s); next[Int(entries)] = -1
                            entries += 1
                        }
                        bits[key] |= rowMasks[r]
                    }
                }
                for (n, c) in used.enumerated() {
                    if n > 0 { out.append(UInt8(ascii: "$")) }   // back to the band's first column
                    out.append(UInt8(ascii: "#")); Runs.appendNumber(c, to: &out)
                    var runs = Runs()
                    var end = 0   // the next output column not yet written for this colour
                    var e = head[c]
                    while e >= 0 {
                        let s = Int(entryColumn[Int(e)])
                        if start[s] > end { runs.emit(0, start[s] - end, into: &out) }   // columns without it: empty sixels ('?')
                        runs.emit(bits[c * w + s], start[s + 1] - start[s], into: &out)
                        bits[c * w + s] = 0
                        end = start[s + 1]
                        e = next[Int(e)]
                    }
                    runs.flush(into: &out)
                    head[c] = -1; tail[c] = -1
                }
                if top + 6 < height { out.append(UInt8(ascii: "-")) }
            }
        }
        out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
        return out
    }

    /// Repeats of one sixel merged into `!count`: a value type, not closures over locals, whose
    /// captured state Swift would check for exclusive access on every byte.
    struct Runs {
        var pending: UInt8 = 0, run = 0
        mutating func emit(_ value: UInt8, _ count: Int, into out: inout [UInt8]) {
            if value == pending && run > 0 { run += count } else { flush(into: &out); pending = value; run = count }
        }
        mutating func flush(into out: inout [UInt8]) {
            guard run > 0 else { return }
            let character = 63 + pending
            if run > 3 { out.append(UInt8(ascii: "!")); Self.appendNumber(run, to: &out); out.append(character) }
            else { for _ in 0..<run { out.append(character) } }
            run = 0
        }
        static func appendNumber(_ n: Int, to out: inout [UInt8]) {
            if n >= 10 { appendNumber(n / 10, to: &out) }
            out.append(UInt8(48 + n % 10))
        }
    }

    /// 0…255 as the 0…100 a sixel colour register takes.
    static func percent(_ v: UInt8) -> Int { (Int(v) * 100 + 127) / 255 }
    /// What a terminal shows for a register set to `p` percent.
    public static func fromPercent(_ p: Int) -> UInt8 { UInt8((p * 255 + 50) / 100) }

    /// Median cut over the 32 768 5-bit colours: split the box with the most pixels (that has more
    /// than one colour) at the pixel median of its longest side, until `registers` boxes.
    public static func quantize(_ image: RGBImage, registers: Int = 256) -> Quantized {
        let limit = max(2, min(256, registers))
        var histogram = [Int32](repeating: 0, count: 1 << 15)
        image.pixels.withUnsafeBufferPointer { p in
            var i = 0
            while i + 2 < p.count {
                histogram[Int(p[i] >> 3) << 10 | Int(p[i + 1] >> 3) << 5 | Int(p[i + 2] >> 3)] += 1
                i += 3
            }
        }
        var keys: [Int] = []
        for k in 0..<histogram.count where histogram[k] > 0 { keys.append(k) }
        // Boxes are ranges of `keys`, re-sorted by the channel being split.
        var boxes: [Range<Int>] = keys.isEmpty ? [] : [0..<keys.count]
        func channel(_ key: Int, _ axis: Int) -> Int { (key >> (10 - 5 * axis)) & 31 }
        func extent(_ box: Range<Int>) -> (axis: Int, size: Int) {
            var best = (axis: 0, size: -1)
            for axis in 0..<3 {
                var lo = 31, hi = 0
                for k in box { let v = channel(keys[k], axis); lo = min(lo, v); hi = max(hi, v) }
                if hi - lo > best.size { best = (axis, hi - lo) }
            }
            return best
        }
        func population(_ box: Range<Int>) -> Int { box.reduce(0) { $0 + Int(histogram[keys[$1]]) } }
        var populations = boxes.map(population)
        while boxes.count < limit {
            // The most populous box that can still be split.
            var pick = -1
            for b in boxes.indices where boxes[b].count > 1 && (pick < 0 || populations[b] > populations[pick]) { pick = b }
            guard pick >= 0 else { break }
            let box = boxes[pick]
            let axis = extent(box).axis
            keys[box].sort { channel($0, axis) < channel($1, axis) }
            let half = populations[pick] / 2
            var running = 0, split = box.lowerBound + 1
            for k in box {
                running += Int(histogram[keys[k]])
                if running >= half { split = min(box.upperBound - 1, max(box.lowerBound + 1, k + 1)); break }
            }
            boxes[pick] = box.lowerBound..<split
            boxes.append(split..<box.upperBound)
            populations[pick] = population(boxes[pick])
            populations.append(population(boxes[boxes.count - 1]))
        }
        // Each box's colour: the pixel-weighted mean of its 5-bit cells' centres, as the terminal will show it.
        var lookup = [UInt8](repeating: 0, count: 1 << 15)
        var palette: [RGBColor] = []
        for (index, box) in boxes.enumerated() {
            var sum = (0, 0, 0), count = 0
            for k in box {
                let key = keys[k], n = Int(histogram[key])
                sum.0 += n * (channel(key, 0) << 3 | 4); sum.1 += n * (channel(key, 1) << 3 | 4); sum.2 += n * (channel(key, 2) << 3 | 4)
                count += n
                lookup[key] = UInt8(index)
            }
            let mean = RGBColor(r: UInt8(sum.0 / count), g: UInt8(sum.1 / count), b: UInt8(sum.2 / count))
            palette.append(RGBColor(r: fromPercent(percent(mean.r)), g: fromPercent(percent(mean.g)), b: fromPercent(percent(mean.b))))
        }
        if palette.isEmpty { palette = [RGBColor(r: 0, g: 0, b: 0)] }
        var indices = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { p in
            indices.withUnsafeMutableBufferPointer { out in
                for i in 0..<out.count {
                    out[i] = lookup[Int(p[3 * i] >> 3) << 10 | Int(p[3 * i + 1] >> 3) << 5 | Int(p[3 * i + 2] >> 3)]
                }
            }
        }
        return Quantized(palette: palette, indices: indices, width: image.width, height: image.height)
    }
}
