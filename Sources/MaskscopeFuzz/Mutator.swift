// Deterministic mutations of a seed file. Input i of a run depends only on (seed, i), so one
// iteration reproduces without replaying the ones before it.

/// SplitMix64: small, fast, and the same on every platform.
struct FuzzRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}

/// The kind of file being mutated: each has structure-aware edits on top of the byte-level ones.
enum FuzzFormat {
    /// Pickles and torch's zip: byte-level mutations only (the zip's CRC is checked on data.pkl alone).
    case png, jpeg, safetensors, pickle
}

let interestingBytes: [UInt8] = [0, 0xFF, 0x7F, 0x80, 1, 0xFE]
let interesting32: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
                               0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x4000_0000]
/// Numbers that break size arithmetic when they replace one in a safetensors header.
let interestingNumbers = ["-1", "0", "1", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
                          "18446744073709551615", "4611686018427387904", "3037000500", "4294967296", "4294967295",
                          "2147483648", "1e308", "1.5", "-0", "99999999999999999999999999", "100000000"]

struct Mutator {
    let corpus: [[UInt8]]
    let format: FuzzFormat

    /// The input of iteration `iteration` of the run with `seed`.
    func input(seed: UInt64, iteration: Int) -> [UInt8] {
        var random = FuzzRandom(seed: seed ^ (UInt64(iteration) &* 0xD1B5_4A32_D192_ED03))
        var bytes = corpus[random.below(corpus.count)]
        let rounds = 1 + random.below(4)
        for _ in 0..<rounds { mutate(&bytes, &random) }
        // Most byte edits land in a chunk whose CRC then fails; fixing the CRCs lets them reach zlib
        // and libpng's row decoding, which is where the interesting failures are.
        if format == .png && random.chance(70) { fixPNGCRCs(&bytes) }
        return bytes
    }

    private func mutate(_ bytes: inout [UInt8], _ random: inout FuzzRandom) {
        // Structure-aware edits half the time: they get past the signature and checksum checks.
        if random.chance(50) {
            switch format {
            case .png: if mutatePNGChunk(&bytes, &random) { return }
            case .jpeg: if mutateJPEGSegment(&bytes, &random) { return }
            case .safetensors: if mutateSafetensorsHeader(&bytes, &random) { return }
            case .pickle: break
            }
        }
        mutateBytes(&bytes, &random)
    }

    private func mutateBytes(_ bytes: inout [UInt8], _ random: inout FuzzRandom) {
        guard !bytes.isEmpty else { bytes = [random.pick(interestingBytes)]; return }
        switch random.below(8) {
        case 0:  // bit flip
            let i = random.below(bytes.count)
            bytes[i] ^= UInt8(1) << UInt8(random.below(8))
        case 1:  // interesting byte
            bytes[random.below(bytes.count)] = random.pick(interestingBytes)
        case 2:  // random byte
            bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
        case 3:  // interesting 32-bit value, big- or little-endian
            let i = random.below(bytes.count)
            write32(random.pick(interesting32), at: i, in: &bytes, bigEndian: random.chance(50))
        case 4:  // truncation
            bytes.removeLast(random.below(bytes.count) + 1)
        case 5:  // delete a range
            let start = random.below(bytes.count)
            let length = 1 + random.below(min(64, bytes.count - start))
            bytes.removeSubrange(start..<(start + length))
        case 6:  // duplicate a range somewhere else
            let start = random.below(bytes.count)
            let length = 1 + random.below(min(256, bytes.count - start))
            let piece = Array(bytes[start..<(start + length)])
            bytes.insert(contentsOf: piece, at: random.below(bytes.count + 1))
        default:  // splice: head of this file, tail of another
            let other = corpus[random.below(corpus.count)]
            let cut = random.below(bytes.count + 1)
            let otherCut = random.below(other.count + 1)
            bytes = Array(bytes[..<cut]) + other[otherCut...]
        }
    }

    private func write32(_ value: UInt32, at index: Int, in bytes: inout [UInt8], bigEndian: Bool) {
        for k in 0..<4 where index + k < bytes.count {
            let shift = bigEndian ? UInt32(24 - 8 * k) : UInt32(8 * k)
            bytes[index + k] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    // MARK: PNG

    /// Offsets of the chunks after the signature (where the chunk walk gets to before running out).
    private func pngChunks(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var position = 8
        while position + 12 <= bytes.count, offsets.count < 64 {
            offsets.append(position)
            let length = Int(read32(bytes, position))
            guard length <= bytes.count else { break }
            position += 12 + length
        }
        return offsets
    }

    private func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    private func mutatePNGChunk(_ bytes: inout [UInt8], _ random: inout FuzzRandom) -> Bool {
        let chunks = pngChunks(bytes)
        guard let chunk = chunks.isEmpty ? nil : random.pick(chunks) else { return false }
        let length = Int(read32(bytes, chunk))
        switch random.below(4) {
        case 0:  // chunk length edit
            let value = random.chance(50) ? random.pick(interesting32) : UInt32(truncatingIfNeeded: length + random.below(5) - 2)
            write32(value, at: chunk, in: &bytes, bigEndian: true)
            return true
        case 1:  // drop the chunk
            let end = min(bytes.count, chunk + 12 + length)
            bytes.removeSubrange(chunk..<end)
            return true
        default:  // change a data byte (IHDR fields often) and fix the CRC so the checks pass
            guard length > 0, chunk + 12 + length <= bytes.count else { return false }
            let i = chunk + 8 + random.below(length)
            if random.chance(50) {
                write32(random.pick(interesting32), at: i, in: &bytes, bigEndian: true)
            } else {
                bytes[i] = random.chance(50) ? random.pick(interestingBytes) : UInt8(truncatingIfNeeded: random.next())
            }
            let crc = crc32(bytes[(chunk + 4)..<(chunk + 8 + length)])
            write32(crc, at: chunk + 8 + length, in: &bytes, bigEndian: true)
            return true
        }
    }

    private func fixPNGCRCs(_ bytes: inout [UInt8]) {
        for chunk in pngChunks(bytes) {
            let length = Int(read32(bytes, chunk))
            guard chunk + 12 + length <= bytes.count else { break }
            write32(crc32(bytes[(chunk + 4)..<(chunk + 8 + length)]), at: chunk + 8 + length, in: &bytes, bigEndian: true)
        }
    }

    // MARK: JPEG

    private func mutateJPEGSegment(_ bytes: inout [UInt8], _ random: inout FuzzRandom) -> Bool {
        // Marker segments with a length: FF xx LL LL (not SOI/EOI/RSTn/TEM).
        var segments: [Int] = []
        var i = 2
        while i + 4 <= bytes.count, segments.count < 64 {
            guard bytes[i] == 0xFF else { break }
            let marker = bytes[i + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            segments.append(i)
            if marker == 0xDA { break }  // entropy-coded data follows
            i += 2 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
        }
        guard !segments.isEmpty else { return false }
        let segment = random.pick(segments)
        let length = Int(bytes[segment + 2]) << 8 | Int(bytes[segment + 3])
        if random.chance(40) {  // length edit
            let value = random.chance(50) ? UInt16(truncatingIfNeeded: random.pick(interesting32)) : UInt16(truncatingIfNeeded: length + random.below(5) - 2)
            bytes[segment + 2] = UInt8(value >> 8)
            bytes[segment + 3] = UInt8(truncatingIfNeeded: value)
        } else {  // a field inside the segment (SOF dimensions, table counts, component ids)
            guard length > 2 else { return false }
            let at = segment + 4 + random.below(length - 2)
            guard at < bytes.count else { return false }
            bytes[at] = random.chance(60) ? random.pick(interestingBytes) : UInt8(truncatingIfNeeded: random.next())
        }
        return true
    }

    // MARK: Safetensors

    private func mutateSafetensorsHeader(_ bytes: inout [UInt8], _ random: inout FuzzRandom) -> Bool {
        guard bytes.count >= 8 else { return false }
        var declared = 0
        for k in 0..<8 { declared |= Int(bytes[k]) << (8 * k) }
        guard declared >= 2, declared <= bytes.count - 8 else { return false }
        var header = Array(bytes[8..<(8 + declared)])
        let data = Array(bytes[(8 + declared)...])
        switch random.below(6) {
        case 5:  // replace a whole shape with one whose element or byte count overflows
            let key = Array("\"shape\":".utf8)
            var starts: [Int] = []
            var j = 0
            while j + key.count <= header.count {
                if header[j..<(j + key.count)].elementsEqual(key) { starts.append(j + key.count) }
                j += 1
            }
            guard let start = starts.isEmpty ? nil : random.pick(starts),
                  let end = header[start...].firstIndex(of: UInt8(ascii: "]")) else { return false }
            let shapes = ["[4611686018427387904]", "[3037000500,3037000500]", "[4294967296,4294967296]",
                          "[2305843009213693952]", "[-1]", "[]", "[0,4611686018427387904]", "[9223372036854775807]"]
            header.replaceSubrange(start...end, with: Array(random.pick(shapes).utf8))
        case 0, 1:  // replace a number with one that breaks size arithmetic
            var numbers: [Range<Int>] = []
            var j = 0
            while j < header.count {
                if header[j] == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(header[j]) {
                    let start = j
                    j += 1
                    while j < header.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(header[j]) { j += 1 }
                    numbers.append(start..<j)
                } else { j += 1 }
            }
            guard !numbers.isEmpty else { return false }
            header.replaceSubrange(random.pick(numbers), with: Array(random.pick(interestingNumbers).utf8))
        case 2:  // a dtype or key replaced
            let dtypes = ["\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"U8\"", "\"F64\"", "\"BOOL\"", "\"F8_E4M3\"", "\"\"", "7", "null", "[]", "{}"]
            guard let quote = header.indices.filter({ header[$0] == UInt8(ascii: "\"") }).randomElement(using: &random) else { return false }
            let end = header[(quote + 1)...].firstIndex(of: UInt8(ascii: "\"")) ?? header.count - 1
            header.replaceSubrange(quote...end, with: Array(random.pick(dtypes).utf8))
        case 3:  // duplicate an entry: copy a "key": {...} span after the opening brace
            guard let open = header.firstIndex(of: UInt8(ascii: "{")),
                  let close = header[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
            else { return false }
            let member = Array(header[(open + 1)...close])
            header.insert(contentsOf: member + [UInt8(ascii: ",")], at: open + 1)
        default:  // structural characters
            let i = random.below(header.count)
            header[i] = random.pick(Array("{}[],:\"\\-0e.".utf8))
        }
        // Usually keep the length prefix right, so the edit reaches the JSON reader.
        let length = random.chance(85) ? UInt64(header.count) : random.pick([UInt64.max, 1 << 63, UInt64(declared), 100_000_001])
        bytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header + data
        return true
    }
}

extension FuzzRandom: RandomNumberGenerator {}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}
