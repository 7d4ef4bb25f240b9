// Reading torch.save checkpoints: every view torch writes in each protocol, and files that must be
// refused — a pickle that calls os.system, truncated and corrupted archives — with an error, never a trap.

import Foundation
import Safetensors
import TestSupport
import Testing
@testable import TorchCheckpoint

func failure(_ body: () throws -> Void) -> String? {
    do { try body() } catch { return String(describing: error) }
    return nil
}

/// Runs the unpickler over literal bytes (with a PROTO 2 header prepended when asked).
func unpickle(_ bytes: [UInt8]) throws -> (PickleValue, PickleArena) {
    try bytes.withUnsafeBytes { raw in
        var unpickler = Unpickler(bytes: raw, path: "test.pkl")
        let value = try unpickler.load()
        return (value, unpickler.arena)
    }
}

@Suite("PyTorch checkpoints")
struct TorchCheckpointTests {
    @Test("views of shared storages load as torch made them, in protocols 2, 4 and 5", arguments: [2, 4, 5])
    func views(_ protocolVersion: Int) throws {
        let file = try TorchCheckpointFile(path: fixturePath("torch/views-p\(protocolVersion).bin"))
        let expected = try SafetensorsFile(path: fixturePath("torch/views-expected.safetensors"))
        #expect(file.names == ["transposed", "row_slice", "column_slice", "shared_a", "shared_b", "half", "bfloat", "index", "scalar", "empty"])
        #expect(file.entries["transposed"]?.strides == [1, 5])
        #expect(file.entries["row_slice"]?.storageOffset == 10)
        for name in file.names where name != "index" {
            let tensor = try file.floatTensor(name), reference = try expected.floatTensor(name)
            #expect(tensor.shape == reference.shape, "\(name)")
            #expect(tensor.scalars == reference.scalars, "\(name)")
        }
        #expect(try file.integerValues("index") == Array(-3..<9))
        #expect(failure { _ = try file.floatTensor("index") }?.contains("expected a floating-point type") == true)
    }

    @Test("a pickle that calls os.system is refused by name and nothing runs")
    func maliciousPickle() throws {
        let marker = "/tmp/maskscope-pickle-ran"
        try? FileManager.default.removeItem(atPath: marker)
        let message = try #require(failure { _ = try TorchCheckpointFile(path: fixturePath("torch/malicious-os-system.bin")) })
        #expect(message.contains("'posix.system'") && message.contains("refused"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("globals outside the allowlist are refused whichever opcode names them")
    func refusedGlobals() throws {
        // GLOBAL 'builtins eval', protocol 2.
        let global: [UInt8] = [0x80, 2, 0x63] + Array("builtins\neval\n".utf8) + [0x29, 0x52, 0x2E]
        #expect(failure { _ = try unpickle(global) }?.contains("'builtins.eval'") == true)
        // STACK_GLOBAL 'os' 'system', protocol 4.
        let stacked: [UInt8] = [0x80, 4, 0x8C, 2] + Array("os".utf8) + [0x8C, 6] + Array("system".utf8) + [0x93, 0x2E]
        #expect(failure { _ = try unpickle(stacked) }?.contains("'os.system'") == true)
        // An allowed name still parses.
        let ordered: [UInt8] = [0x80, 2, 0x63] + Array("collections\nOrderedDict\n".utf8) + [0x29, 0x52, 0x2E]
        let (value, arena) = try unpickle(ordered)
        #expect(arena.stringKeyed(value)?.isEmpty == true)
    }

    @Test("malformed pickles end in an error naming the byte", arguments: [
        ([0x80, 2, 0x4A, 1, 2], "ends inside an argument"),              // BININT cut short
        ([0x80, 2, 0x68, 7, 0x2E], "memo key 7 was never stored"),        // BINGET of nothing
        ([0x80, 2, 0x61, 0x2E], "the stack is empty"),                    // APPEND on nothing
        ([0x80, 2, 0x4E, 0x4E, 0x2E], "STOP with 1 values left"),
        ([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0xFF], "runs past the end"),   // BINUNICODE of 4 GiB
        ([0x80, 2, 0x82, 1, 0x2E], "opcode 0x82"),                        // EXT1: the copyreg registry
        ([0x80, 2, 0x4E, 0x28, 0x30, 0x2E], "reaches below its MARK"),  // POP below the mark
    ] as [([UInt8], String)])
    func malformed(_ bytes: [UInt8], _ expected: String) {
        let message = failure { _ = try unpickle(bytes) }
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
    }

    @Test("integers, floats and deep nesting decode without recursion")
    func values() throws {
        // LONG1 of -2 (0xFE), BINFLOAT 1.5, then 200 000 nested TUPLE1s.
        let (long, _) = try unpickle([0x80, 2, 0x8A, 1, 0xFE, 0x2E])
        #expect(long == .int(-2))
        let (float, _) = try unpickle([0x80, 2, 0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x2E])
        #expect(float == .float(1.5))
        let (nested, arena) = try unpickle([0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: 200_000) + [0x2E])
        #expect(nested == .tuple(199_999) && arena.tuples.count == 200_000)
    }

    @Test("every truncation of a checkpoint is an error, not a trap")
    func truncated() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixturePath("torch/views-p2.bin")))
        let scratch = NSTemporaryDirectory() + "maskscope-truncated-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var refused = 0
        for length in stride(from: 0, to: bytes.count, by: 7) {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: scratch))
            if failure({ _ = try TorchCheckpointFile(path: scratch) }) != nil { refused += 1 }
        }
        #expect(refused == (bytes.count + 6) / 7)
    }

    @Test("corrupted bytes anywhere in a checkpoint load or fail with an error")
    func corrupted() throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("torch/views-p4.bin"))))
        let scratch = NSTemporaryDirectory() + "maskscope-corrupt-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var random = SeededRandom(seed: 14)
        var errors = 0
        for _ in 0..<600 {
            var bytes = original
            for _ in 0..<3 { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
            try Data(bytes).write(to: URL(fileURLWithPath: scratch))
            if let message = failure({
                let file = try TorchCheckpointFile(path: scratch)
                for name in file.names { _ = try? file.floatTensor(name); _ = try? file.integerValues(name) }
            }) {
                errors += 1
                #expect(message.hasPrefix(scratch + ": "), "\(message)")
            }
        }
        #expect(errors > 0)
    }

    @Test("zip members that are compressed, missing or misplaced are named")
    func badArchives() throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("torch/views-p2.bin"))))
        let scratch = NSTemporaryDirectory() + "maskscope-zip-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // The first central-directory entry: its method (offset 10) set to deflate.
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let directory = try #require((0..<(original.count - 4)).first { Array(original[$0..<($0 + 4)]) == signature })
        var compressed = original
        compressed[directory + 10] = 8
        try Data(compressed).write(to: URL(fileURLWithPath: scratch))
        #expect(failure { _ = try TorchCheckpointFile(path: scratch) }?.contains("is compressed (method 8)") == true)
        // Its local-header offset (offset 42) pointed past the end of the file.
        var misplaced = original
        misplaced.replaceSubrange((directory + 42)..<(directory + 46), with: [0xF0, 0xFF, 0xFF, 0x7F])
        try Data(misplaced).write(to: URL(fileURLWithPath: scratch))
        #expect(failure { _ = try TorchCheckpointFile(path: scratch) }?.contains("beyond the end of the file") == true)
    }
}

@Suite("detectron2 checkpoints")
struct DetectronCheckpointTests {
    @Test("numpy arrays of a detectron2 pickle load as data, whichever protocol and numpy wrote them",
          arguments: ["detectron2-p2.pkl", "detectron2-p4.pkl", "detectron2-p2-numpy1.pkl"])
    func arrays(_ file: String) throws {
        let checkpoint = try DetectronCheckpointFile(path: fixturePath("torch/" + file))
        let expected = try SafetensorsFile(path: fixturePath("torch/detectron2-expected.safetensors"))
        #expect(Set(checkpoint.names) == Set(expected.names))
        for name in checkpoint.names {
            #expect(checkpoint.entries[name]?.shape == expected.entries[name]?.shape, "\(name)")
            if expected.entries[name]?.dtype == .i64 {
                #expect(try checkpoint.integerValues(name) == expected.integerValues(name), "\(name)")
            } else {
                #expect(try checkpoint.floatTensor(name).scalars == expected.floatTensor(name).scalars, "\(name)")
            }
        }
        #expect(checkpoint.entries["backbone.bn1.num_batches_tracked"]?.shape == [])
    }

    @Test("a pickle that calls os.system is refused by name and nothing runs")
    func maliciousPickle() throws {
        let marker = "/tmp/maskscope-pickle-ran"
        try? FileManager.default.removeItem(atPath: marker)
        let message = try #require(failure { _ = try DetectronCheckpointFile(path: fixturePath("torch/malicious-os-system.pkl")) })
        #expect(message.contains("'posix.system'"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("an array whose bytes disagree with its shape is named")
    func wrongLength() throws {
        // Shrink the first array's shape field: (8, 3, 4, 4) → (8, 3, 4, 3), the bytes unchanged.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("torch/detectron2-p4.pkl"))))
        let shape: [UInt8] = [0x4B, 8, 0x4B, 3, 0x4B, 4, 0x4B, 4]
        let at = try #require((0..<(bytes.count - shape.count)).first { Array(bytes[$0..<($0 + shape.count)]) == shape })
        bytes[at + 7] = 3
        let scratch = NSTemporaryDirectory() + "maskscope-d2-\(UUID().uuidString).pkl"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try Data(bytes).write(to: URL(fileURLWithPath: scratch))
        let message = failure { _ = try DetectronCheckpointFile(path: scratch) }
        #expect(message?.contains("'backbone.patch_embed.proj.weight' is f4 [8, 3, 4, 3] = 288 elements but holds 1536 bytes") == true, "\(message ?? "")")
    }
}

/// Rewrites an archive's members as zip64 does for files over 4 GiB: every 32-bit size and offset
/// 0xFFFFFFFF with the real value in the zip64 extra field, and the zip64 end records.
func zip64Copy(of archive: ZipArchive) -> [UInt8] {
    var out: [UInt8] = []
    func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
    var offsets: [Int] = []
    for name in archive.names {
        guard let member = archive.members[name] else { continue }
        offsets.append(out.count)
        put(UInt32(0x0403_4b50)); put(UInt16(45)); put(UInt16(0)); put(UInt16(0)); put(UInt32(0))
        put(member.crc32); put(UInt32(member.dataRange.count)); put(UInt32(member.dataRange.count))
        put(UInt16(name.utf8.count)); put(UInt16(0))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: archive.data(of: member))
    }
    let directory = out.count
    for (name, offset) in zip(archive.names, offsets) {
        guard let member = archive.members[name] else { continue }
        put(UInt32(0x0201_4b50)); put(UInt16(45)); put(UInt16(45)); put(UInt16(0)); put(UInt16(0)); put(UInt32(0))
        put(member.crc32); put(UInt32.max); put(UInt32.max)
        put(UInt16(name.utf8.count)); put(UInt16(28)); put(UInt16(0)); put(UInt16(0)); put(UInt16(0)); put(UInt32(0)); put(UInt32.max)
        out.append(contentsOf: name.utf8)
        put(UInt16(1)); put(UInt16(24)); put(UInt64(member.dataRange.count)); put(UInt64(member.dataRange.count)); put(UInt64(offset))
    }
    let directorySize = out.count - directory, record = out.count
    put(UInt32(0x0606_4b50)); put(UInt64(44)); put(UInt16(45)); put(UInt16(45)); put(UInt32(0)); put(UInt32(0))
    put(UInt64(archive.names.count)); put(UInt64(archive.names.count)); put(UInt64(directorySize)); put(UInt64(directory))
    put(UInt32(0x0706_4b50)); put(UInt32(0)); put(UInt64(record)); put(UInt32(1))
    put(UInt32(0x0605_4b50)); put(UInt16(0)); put(UInt16(0)); put(UInt16.max); put(UInt16.max); put(UInt32.max); put(UInt32.max); put(UInt16(0))
    return out
}

@Suite("zip64 archives")
struct Zip64Tests {
    @Test("a checkpoint with zip64 sizes and end records reads the same tensors")
    func zip64() throws {
        let original = try ZipArchive(path: fixturePath("torch/views-p2.bin"))
        let scratch = NSTemporaryDirectory() + "maskscope-zip64-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let bytes = zip64Copy(of: original)
        try Data(bytes).write(to: URL(fileURLWithPath: scratch))
        let copy = try TorchCheckpointFile(path: scratch), reference = try TorchCheckpointFile(path: fixturePath("torch/views-p2.bin"))
        #expect(copy.names == reference.names)
        for name in reference.names where name != "index" {
            #expect(try copy.floatTensor(name).scalars == reference.floatTensor(name).scalars, "\(name)")
        }
        // A zip64 record pointing beyond the file is named, not followed.
        var broken = bytes
        let locator = bytes.count - 22 - 20
        broken.replaceSubrange((locator + 8)..<(locator + 16), with: [0, 0, 0, 0, 0, 0, 0, 0x10])
        try Data(broken).write(to: URL(fileURLWithPath: scratch))
        let message = failure { _ = try TorchCheckpointFile(path: scratch) }
        #expect(message?.contains("where there is no zip64 record") == true, "\(message ?? "")")
    }
}
