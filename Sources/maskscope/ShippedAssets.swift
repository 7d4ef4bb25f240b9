// What ships in the repository next to the binary: the default model and the sample images.
// Found by walking up from the executable (`.build/release/maskscope` → the checkout, see
// FileIO.executableAncestors), so a fresh clone works with no configuration; MASKSCOPE_MODEL
// overrides the model.

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
        return try locate(modelFolder, marker: "config.json", what: "no --model given and the default model",
                          remedy: "pass --model FOLDER or set MASKSCOPE_MODEL")
    }

    static func sampleImages() throws -> String {
        try locate(sampleFolder, marker: nil, what: "no images given and the sample images", remedy: "pass images or folders")
    }

    /// The first folder at or above the executable's that holds `relative` (and `relative/marker`).
    private static func locate(_ relative: String, marker: String?, what: String, remedy: String) throws -> String {
        let searched = executableAncestors()
        for root in searched {
            let candidate = root + "/" + relative
            if isDirectory(candidate), marker.map({ fileExists(candidate + "/" + $0) }) ?? true {
                return candidate
            }
        }
        throw MissingAsset(description: "\(what) (\(relative)) was not found in \(searched.first ?? "the executable's folder") "
                           + "or any folder above it; \(remedy)")
    }
}
