// What ships in the repository next to the binary: the default model and the sample images.
// Found by walking up from the executable (`.build/release/maskscope` → the checkout), so a
// fresh clone works with no configuration; MASKSCOPE_MODEL overrides the model.

import FileIO
import Foundation

struct MissingAsset: Error, CustomStringConvertible {
    var description: String
}

enum ShippedAssets {
    /// The default model's folder, relative to the repository root.
    static let modelFolder = "Models/shapes-swin"
    /// The images `maskscope` with no arguments opens, relative to the repository root.
    static let sampleFolder = "SampleImages/shapes"

    /// The model to use when no `--model` is given.
    static func defaultModel(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let chosen = environment["MASKSCOPE_MODEL"], !chosen.isEmpty { return chosen }
        return try locate(modelFolder, marker: "config.json",
                          what: "no --model given and the default model")
    }

    static func sampleImages() throws -> String {
        try locate(sampleFolder, marker: nil, what: "the sample images")
    }

    /// The first ancestor of the executable's folder that holds `relative` (and `relative/marker`).
    private static func locate(_ relative: String, marker: String?, what: String) throws -> String {
        let searched = ancestors(of: executableDirectory())
        for root in searched {
            let candidate = root + "/" + relative
            if isDirectory(candidate), marker.map({ fileExists(candidate + "/" + $0) }) ?? true {
                return candidate
            }
        }
        throw MissingAsset(description: "\(what) (\(relative)) was not found in \(searched.first ?? "the executable's folder") "
                           + "or any folder above it; pass --model FOLDER or set MASKSCOPE_MODEL")
    }

    private static func executableDirectory() -> String {
        // /proc/self/exe names the binary even when it was started through a symlink or $PATH.
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (resolved as NSString).deletingLastPathComponent
    }

    private static func ancestors(of directory: String) -> [String] {
        var result: [String] = []
        var current = URL(fileURLWithPath: directory).standardizedFileURL.path
        while true {
            result.append(current)
            let parent = (current as NSString).deletingLastPathComponent
            if parent == current || parent.isEmpty { return result }
            current = parent
        }
    }
}
