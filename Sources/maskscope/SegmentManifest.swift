// The record one `segment` process keeps in its output folder: which images its shard holds, which are
// done or failed and how long each took, and the model and options that made them. A rerun of the same
// shard checks it was made the same way; `maskscope merge` checks that the shards fit together.

import FileIO
import Foundation
import Mask2Former

struct SegmentManifest: Codable, Equatable {
    static let formatName = "maskscope-segment-manifest/1"

    /// `maskscope-manifest.shard-0002-of-0003.json`: the name sorts by shard and tells the count.
    static func fileName(index: Int, count: Int) -> String {
        String(format: "maskscope-manifest.shard-%04d-of-%04d.json", index, count)
    }
    static let fileNamePrefix = "maskscope-manifest.shard-"

    struct ShardInfo: Codable, Equatable { var index: Int; var count: Int; var source: String }

    /// What made the results: two shards agree on this or their results must not be merged.
    struct Provenance: Codable, Equatable {
        var model: String
        /// FNV-1a of config.json and preprocessor_config.json, and the weights' size and ends.
        var modelFingerprint: String
        var task: String
        var threshold: Double
        var maskThreshold: Double
        var overlapThreshold: Double
        var maskResize: String
        /// The preprocessing backend and a fingerprint of its settings (`--preprocess`, and the sizes
        /// and mean/std a `--detectron2-config` set). Nil in manifests written before it was recorded.
        var preprocessing: String?
        /// Fingerprint of the `--detectron2-config` settings read (bases merged; not the path), "none"
        /// without one. Nil in manifests written before it was recorded.
        var detectron2Config: String?
        var stuffLabels: [Int]
        var labels: [String]
        /// All images of the run before sharding, and a fingerprint of their output stems in order.
        var totalImages: Int
        var inputsFingerprint: String
    }

    enum Status: String, Codable { case pending, done, failed }

    struct Entry: Codable, Equatable {
        /// Position in the whole (unsharded) input list: merge orders results by it.
        var position: Int
        var path: String
        var stem: String
        var status: Status
        var seconds: Double?
        var error: String?
    }

    var format = SegmentManifest.formatName
    var shard: ShardInfo
    var provenance: Provenance
    var started: String
    var updated: String
    var finished: Bool
    var stoppedBy: String?
    var images: [Entry]

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Replaces the manifest atomically (it is this shard's own file).
    func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path, overwrite: .replace)
    }

    static func read(_ path: String) throws -> SegmentManifest {
        let manifest = try JSONFile.decode(SegmentManifest.self, path: path, expecting: "a maskscope segment manifest")
        guard manifest.format == formatName else {
            throw FileError.invalidContent(path: path, reason: "format '\(manifest.format)' is not \(formatName)")
        }
        return manifest
    }
}

/// FNV-1a, 64 bits: a fingerprint that tells two inputs apart (not a defence against forgery).
struct Fingerprint {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }
    mutating func add(_ text: String) {
        var text = text + "\u{0}"
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }
    var hex: String { String(format: "%016llx", value) }

    /// A model's fingerprint: its JSON configs in full (a detectron2 file has none: its architecture is in
    /// the weights), the weights' size and first and last MiB (hashing hundreds of MB on every start
    /// would cost more than it tells).
    static func model(_ location: CheckpointLocation) throws -> String {
        var print = Fingerprint()
        for path in location.isDetectron2 ? [] : [location.configPath, location.preprocessorConfigPath] {
            let mapped = try MappedFile(path: path)
            print.add(mapped.bytes)
        }
        let weights = location.weightsPath
        let mapped = try MappedFile(path: weights)
        print.add(String(mapped.count))
        let edge = min(mapped.count, 1 << 20)
        print.add(UnsafeRawBufferPointer(rebasing: mapped.bytes[0..<edge]))
        print.add(UnsafeRawBufferPointer(rebasing: mapped.bytes[(mapped.count - edge)...]))
        return print.hex
    }

    /// What the manifest records of the preprocessing: the backend's name, then a fingerprint of every
    /// setting (sizes, divisor, mean/std, rescale), which a `--detectron2-config` can change.
    static func preprocessing(_ config: ImageProcessorConfig) -> String {
        var print = Fingerprint()
        print.add(String(describing: config))
        return "\(config.backend.rawValue) \(print.hex)"
    }

    /// What the manifest records of `--detectron2-config`: a fingerprint of the settings read (the
    /// path may differ between machines), or "none".
    static func detectron2Config(_ file: Detectron2ConfigFile?) -> String {
        guard var file else { return "none" }
        file.files = []
        var print = Fingerprint()
        print.add(String(describing: file))
        return print.hex
    }
}

extension SegmentManifest.Provenance {
    /// The names of the fields that differ, for an error message ("model", "threshold", …).
    func differences(from other: Self) -> [String] {
        var names: [String] = []
        // The path may differ between machines (mounts); the fingerprint may not.
        if modelFingerprint != other.modelFingerprint { names.append("model (\(other.model), fingerprint \(other.modelFingerprint))") }
        if task != other.task { names.append("--task (\(other.task))") }
        if threshold != other.threshold { names.append("--threshold (\(other.threshold))") }
        if maskThreshold != other.maskThreshold { names.append("--mask-threshold (\(other.maskThreshold))") }
        if overlapThreshold != other.overlapThreshold { names.append("--overlap-threshold (\(other.overlapThreshold))") }
        if maskResize != other.maskResize { names.append("--mask-resize (\(other.maskResize))") }
        // Older manifests did not record these: nothing to compare with.
        if let earlier = other.preprocessing, preprocessing != earlier { names.append("--preprocess (\(earlier))") }
        if let earlier = other.detectron2Config, detectron2Config != earlier { names.append("--detectron2-config (\(earlier))") }
        if stuffLabels != other.stuffLabels { names.append("stuff classes") }
        if labels != other.labels { names.append("label list") }
        if totalImages != other.totalImages || inputsFingerprint != other.inputsFingerprint {
            names.append("input list (\(other.totalImages) images)")
        }
        return names
    }
}
