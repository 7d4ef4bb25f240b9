// Seeded mutation fuzzing of every reader a user can feed a file to: each mutated input must
// decode or throw, never trap or hang. The loop runs in the MaskscopeFuzz executable, a child
// process, so a crash fails this test with the seed and iteration that reproduce it (and the input
// saved to a file) instead of killing the whole test run.
//
// Budget: the iteration counts are fixed (the run is deterministic) and sized so all four readers
// take well under 60 s on a 2-core CI machine in a debug build. MASKSCOPE_FUZZ_SEED and
// MASKSCOPE_FUZZ_SCALE (a multiplier on the counts) run other or longer campaigns locally.

import Foundation
import Safetensors
import TensorCore
import TestSupport
import Testing

/// The fuzzer built next to the running test bundle.
func fuzzExecutable() -> String {
    let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let candidates = [
        Bundle.main.bundleURL.appendingPathComponent("MaskscopeFuzz").path,
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("MaskscopeFuzz").path,
        argument0.deletingLastPathComponent().appendingPathComponent("MaskscopeFuzz").path,
        argument0.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("MaskscopeFuzz").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}

struct FuzzCampaign: Sendable, CustomTestStringConvertible {
    var reader: String
    var iterations: Int
    var testDescription: String { "\(reader) × \(iterations)" }
}

/// Seed files: the committed fixtures, small ones only.
func seedFiles(for reader: String, scratch: String) throws -> [String] {
    let imaging = fixturePath("imaging")
    let images = try FileManager.default.contentsOfDirectory(atPath: imaging).sorted().map { imaging + "/" + $0 }
    switch reader {
    case "png": return images.filter { $0.hasSuffix(".png") }
    case "jpeg": return images.filter { $0.hasSuffix(".jpg") }
    case "label":
        return ["grey8.png", "grey16.png", "grey16_interlaced.png", "grey16_pil.png"].map { imaging + "/" + $0 }
            + (0..<4).map { fixturePath("eval/pred/test-00000\($0).semantic.png") }
    case "torch": return ["views-p2.bin", "views-p4.bin", "views-p5.bin", "malicious-os-system.bin"].map { fixturePath("torch/" + $0) }
    case "detectron2":
        return ["detectron2-p2.pkl", "detectron2-p4.pkl", "malicious-os-system.pkl"].map { fixturePath("torch/" + $0) }
    default:
        return try safetensorsSeeds(scratch: scratch)
    }
}

/// A small real file; a model's header cut to its first tensors, with their data cut short (the
/// whole 58 KB header would make each iteration slow); one small tensor of each dtype.
func safetensorsSeeds(scratch: String) throws -> [String] {
    let model = try Data(contentsOf: URL(fileURLWithPath: fixturePath("models/tiny-w7/model.safetensors")))
    let headerLength = model.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    guard let header = try JSONSerialization.jsonObject(with: model[8..<(8 + headerLength)]) as? [String: Any] else {
        throw SeedError(detail: "the tiny-w7 model's header is not a JSON object")
    }
    func begin(_ entry: Any) -> Int { ((entry as? [String: Any])?["data_offsets"] as? [Int])?.first ?? Int.max }
    let first = header.filter { $0.key != "__metadata__" }.sorted { begin($0.value) < begin($1.value) }.prefix(12)
    let cut = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: first.map { ($0.key, $0.value) }), options: [.sortedKeys])
    let data = model[(8 + headerLength)...].prefix(8192)
    let headerOnly = scratch + "/header-cut.safetensors"
    try Data((0..<8).map { UInt8(truncatingIfNeeded: cut.count >> (8 * $0)) } + cut + data).write(to: URL(fileURLWithPath: headerOnly))

    var writer = SafetensorsWriter()
    let t = Tensor(shape: [2, 3], scalars: [0, 1, -2, 0.5, 65504, -1e-3])
    writer.add("f32", t)
    writer.add("f16", t, as: .f16)
    writer.add("bf16", t, as: .bf16)
    writer.add("labels", shape: [2, 2], uint8: [0, 1, 2, 255])
    writer.add("index", shape: [3], int64: [-1, 0, 1 << 40])
    writer.metadata = ["format": "pt"]
    let small = scratch + "/small.safetensors"
    try writer.write(to: small)
    return [fixturePath("postprocess/rle.safetensors"), headerOnly, small]
}

struct SeedError: Error, CustomStringConvertible {
    var detail: String
    var description: String { detail }
}

@Suite("Reader fuzzing")
struct ReaderFuzzTests {
    static let scale = Int(ProcessInfo.processInfo.environment["MASKSCOPE_FUZZ_SCALE"] ?? "") ?? 1
    static let seed = ProcessInfo.processInfo.environment["MASKSCOPE_FUZZ_SEED"] ?? "20261202"

    @Test(arguments: [
        FuzzCampaign(reader: "png", iterations: 20000 * scale),
        FuzzCampaign(reader: "jpeg", iterations: 20000 * scale),
        FuzzCampaign(reader: "label", iterations: 15000 * scale),
        FuzzCampaign(reader: "safetensors", iterations: 15000 * scale),
        FuzzCampaign(reader: "torch", iterations: 10000 * scale),
        FuzzCampaign(reader: "detectron2", iterations: 5000 * scale),
    ])
    func mutatedInputsDecodeOrThrow(_ campaign: FuzzCampaign) throws {
        let scratch = NSTemporaryDirectory() + "maskscope-fuzz-\(campaign.reader)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let seeds = try seedFiles(for: campaign.reader, scratch: scratch)
        #expect(seeds.count >= 3, "too few seed files for \(campaign.reader)")
        let started = Date()
        let result = try runMaskscope(
            [campaign.reader, "--seed", Self.seed, "--iterations", String(campaign.iterations), "--crash-dir", scratch] + seeds,
            executable: fuzzExecutable())
        let seconds = Date().timeIntervalSince(started)
        // The figures CI logs show: iterations run, and crashes found (0 when the run completes).
        print("\(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) in \(String(format: "%.1f", seconds)) s")
        if result.status != 0 {
            // Keep the crashing input where a person can find it.
            let kept = NSTemporaryDirectory() + "maskscope-fuzz-crash-\(campaign.reader)-seed\(Self.seed).bin"
            let saved = (try? FileManager.default.contentsOfDirectory(atPath: scratch))?.first { $0.hasPrefix("crash-") }
            if let saved { try? FileManager.default.copyItem(atPath: scratch + "/" + saved, toPath: kept) }
            Issue.record("""
                \(campaign.reader) fuzzer exited with status \(result.status), 1 crash: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
                input kept at \(kept); rerun: \(fuzzExecutable()) \(campaign.reader) --seed \(Self.seed) --from ITERATION --iterations 1 --crash-dir /tmp SEED-FILES
                """)
        }
        #expect(result.stderr.isEmpty || result.status != 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(campaign.iterations) iterations"), "\(result.stdout)")
    }
}
