// The safetensors reader checks every header field against the file; the writer round-trips.

import FileIO
import Foundation
import Safetensors
import TensorCore
import TestSupport
import Testing

func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "maskscope-\(UUID().uuidString)-\(name)"
}

/// A file made of an 8-byte header length, the given JSON header, and `data`.
func rawSafetensors(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = declaredLength ?? UInt64(json.count)
    return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + data
}

func readError(_ bytes: [UInt8]) throws -> String {
    let path = temporaryPath("bad.safetensors")
    defer { unlink(path) }
    try AtomicFile.write(bytes, to: path)
    do { _ = try SafetensorsFile(path: path); return "" } catch { return String(describing: error) }
}

@Suite("Safetensors")
struct SafetensorsTests {
    @Test("written tensors read back exactly, in F32, F16 and BF16")
    func roundTrip() throws {
        var random = SeededRandom(seed: 9)
        let a = random.tensor([3, 4, 5]), b = Tensor(shape: [4], scalars: [0.5, -2, 65504, 1.0 / 1024])
        var writer = SafetensorsWriter()
        writer.add("a", a)
        writer.add("half", b, as: .f16)
        writer.add("brain", b, as: .bf16)
        writer.add("labels", shape: [2, 2], uint8: [1, 0, 0, 1])
        writer.add("index", shape: [3], int64: [-1, 0, 1 << 40])
        let path = temporaryPath("roundtrip.safetensors")
        defer { unlink(path) }
        try writer.write(to: path)
        let file = try SafetensorsFile(path: path)
        #expect(try file.floatTensor("a") == a)
        #expect(try file.floatTensor("half") == b)     // each value is exactly representable in half
        #expect(try file.floatTensor("brain").scalars == [0.5, -2, 65536, 1.0 / 1024])  // bf16 rounds 65504
        #expect(try file.integerValues("labels") == [1, 0, 0, 1])
        #expect(try file.integerValues("index") == [-1, 0, 1 << 40])
        #expect(file.names == ["a", "half", "brain", "labels", "index"])
        // Refuses to overwrite unless asked.
        #expect(throws: FileError.wouldOverwrite(path: path)) { try writer.write(to: path) }
    }

    @Test("aligned F32 tensors are borrowed from the map, others converted; a borrowed tensor outlives the file and copies when written")
    func borrowedFromTheMap() throws {
        var random = SeededRandom(seed: 11)
        let a = random.tensor([4, 5])
        var writer = SafetensorsWriter()
        writer.add("a", a)
        writer.add("odd", Tensor(shape: [3], scalars: [1, 2, 3]), as: .f16)   // 6 bytes: "shifted" starts 2 bytes off a Float
        writer.add("shifted", a)
        let path = temporaryPath("borrowed.safetensors")
        try writer.write(to: path)
        var borrowed: Tensor, shifted: Tensor, half: Tensor
        do {
            let file = try SafetensorsFile(path: path)
            (borrowed, shifted, half) = (try file.floatTensor("a"), try file.floatTensor("shifted"), try file.floatTensor("odd"))
        }
        unlink(path)   // the tensors keep the mapping, not the file object or the name
        #expect(borrowed.isBorrowed && !shifted.isBorrowed && !half.isBorrowed)
        #expect(borrowed == a && shifted == a && half.scalars == [1, 2, 3])
        #expect(borrowed.reshaped([20]).isBorrowed && borrowed.reshaped([20]).scalars == a.scalars)
        // The map is read-only: writing must copy first (writing in place would fault).
        borrowed.scalars[0] = 42
        #expect(!borrowed.isBorrowed && borrowed.scalars[0] == 42 && Array(borrowed.scalars[1...]) == Array(a.scalars[1...]))
        let copyPath = try writtenCopy(of: a)
        defer { unlink(copyPath) }
        var viaPointer = try SafetensorsFile(path: copyPath).floatTensor("a")
        viaPointer.withUnsafeMutableBufferPointer { $0[1] = -1 }
        #expect(!viaPointer.isBorrowed && viaPointer.scalars[1] == -1 && viaPointer.scalars[0] == a.scalars[0])
    }

    /// A new file holding `tensor` as "a".
    func writtenCopy(of tensor: Tensor) throws -> String {
        var writer = SafetensorsWriter()
        writer.add("a", tensor)
        let path = temporaryPath("copy.safetensors")
        try writer.write(to: path)
        return path
    }

    @Test("half-precision conversion is exact for subnormals, infinities and rounding ties")
    func halfConversion() {
        for bits: UInt16 in [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7C00, 0xFC00, 0xC000] {
            #expect(halfFromFloat(floatFromHalf(bits)) == bits)
        }
        #expect(floatFromHalf(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(halfFromFloat(1 + 1.0 / 2048) == 0x3C00)        // tie → even
        #expect(halfFromFloat(1 + 3.0 / 2048) == 0x3C02)        // tie → even (up)
        #expect(floatFromBFloat16(bfloat16FromFloat(3.140625)) == 3.140625)
    }

    @Test("a file shorter than its header length is reported as truncated")
    func truncatedHeader() throws {
        let message = try readError(rawSafetensors(header: "{}", data: [], declaredLength: 500))
        #expect(message.contains("truncated") && message.contains("500"), "\(message)")
        let tiny = try readError([1, 2, 3])
        #expect(tiny.contains("too short"), "\(tiny)")
    }

    @Test("offsets past the end of the data are reported with the tensor's name")
    func offsetsPastEnd() throws {
        let header = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        let message = try readError(rawSafetensors(header: header, data: [UInt8](repeating: 0, count: 8)))
        #expect(message.contains("'w'") && message.contains("ends at byte 16") && message.contains("8 bytes"), "\(message)")
    }

    @Test("a header that lies about sizes or overlaps is rejected")
    func lyingHeader() throws {
        let wrongSize = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#
        let sizeMessage = try readError(rawSafetensors(header: wrongSize, data: [UInt8](repeating: 0, count: 16)))
        #expect(sizeMessage.contains("'w'") && sizeMessage.contains("span 16"), "\(sizeMessage)")
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let overlapMessage = try readError(rawSafetensors(header: overlap, data: [UInt8](repeating: 0, count: 12)))
        #expect(overlapMessage.contains("overlap"), "\(overlapMessage)")
        let notJSON = try readError(rawSafetensors(header: "{nope", data: []))
        #expect(notJSON.contains("not valid JSON"), "\(notJSON)")
        let dtype = try readError(rawSafetensors(header: #"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0]))
        #expect(dtype.contains("F8_E4M3") && dtype.contains("supported"), "\(dtype)")
    }
}
