// The readers under test, each fed one input: it must return or throw, nothing else.

#if canImport(Glibc)
import Glibc
#endif
import Imaging
import Safetensors
import TorchCheckpoint

enum FuzzTarget: String, CaseIterable {
    case png, jpeg, label, safetensors, torch, detectron2

    var format: FuzzFormat {
        switch self {
        case .png, .label: return .png
        case .jpeg: return .jpeg
        case .safetensors: return .safetensors
        case .torch, .detectron2: return .pickle
        }
    }

    /// Reads `input`; file-based readers get it through `scratchFile`. Returns whether it decoded.
    func read(_ input: [UInt8], scratchFile: String) -> Bool {
        do {
            switch self {
            case .png:
                _ = try input.withUnsafeBytes { try decodePNG(bytes: $0, name: "fuzz.png") }
            case .jpeg:
                _ = try input.withUnsafeBytes { try decodeJPEG(bytes: $0, name: "fuzz.jpg") }
            case .label:
                try writeScratch(input, scratchFile)
                _ = try loadLabelPNG(path: scratchFile)
            case .safetensors:
                try writeScratch(input, scratchFile)
                let file = try SafetensorsFile(path: scratchFile)
                // Read every tensor too: the sizes the header promised are what the reads rely on.
                for name in file.names {
                    let entry = try file.entry(name)
                    if entry.dtype.isFloatingPoint { _ = try file.floatTensor(name) } else { _ = try file.integerValues(name) }
                }
            case .torch:
                try writeScratch(input, scratchFile)
                let file = try TorchCheckpointFile(path: scratchFile)
                for name in file.names { _ = try? file.floatTensor(name); _ = try? file.integerValues(name) }
            case .detectron2:
                try writeScratch(input, scratchFile)
                let file = try DetectronCheckpointFile(path: scratchFile)
                for name in file.names { _ = try? file.floatTensor(name); _ = try? file.integerValues(name) }
            }
            return true
        } catch {
            // Every error must say which file it is about.
            let text = String(describing: error)
            if verbose { FileHandle2.standardError("refused: \(text)\n") }
            if !(text.contains("fuzz.") || text.contains(scratchFile)) {
                FileHandle2.standardError("maskscope-fuzz: error that names no file: \(text)\n")
            }
            return false
        }
    }
}

/// MASKSCOPE_FUZZ_VERBOSE=1 prints every refusal (to see which checks the mutations reach).
let verbose = getenv("MASKSCOPE_FUZZ_VERBOSE") != nil

struct ScratchWriteFailed: Error {}

private func writeScratch(_ bytes: [UInt8], _ path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw ScratchWriteFailed() }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw ScratchWriteFailed() }
}

enum FileHandle2 {
    static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
