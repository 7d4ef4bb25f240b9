// Where a model's three files are: a folder given by path, or a hub repo id in the local
// Hugging Face cache. Nothing is ever downloaded.

import FileIO
import Foundation

public struct CheckpointLocation: Sendable, Equatable {
    /// What the user typed (a path or `org/name`).
    public var name: String
    public var folder: String

    public var configPath: String { folder + "/config.json" }
    public var preprocessorConfigPath: String { folder + "/preprocessor_config.json" }
    public var weightsPath: String { folder + "/model.safetensors" }

    public init(name: String, folder: String) {
        self.name = name
        self.folder = folder
    }

    /// Resolves `--model`: an existing folder wins; otherwise `org/name` is looked up in the HF cache.
    public static func resolve(_ model: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CheckpointLocation {
        if isDirectory(model) {
            let location = CheckpointLocation(name: model, folder: model)
            try location.checkFiles()
            return location
        }
        guard isHubRepoID(model) else {
            throw ModelError.checkpointNotFound(model, detail: "no such folder, and it is not a hub repo id of the form org/name")
        }
        let cache = hubCacheDirectory(environment: environment)
        let repoFolder = cache + "/models--" + model.replacingOccurrences(of: "/", with: "--")
        guard let snapshot = snapshotFolder(repoFolder: repoFolder) else {
            throw ModelError.checkpointNotFound(
                model, detail: "no folder of that name and not in the Hugging Face cache (looked in \(repoFolder)/snapshots); "
                    + "maskscope never downloads: fetch it with `hf download \(model)` (or `huggingface-cli download \(model)`), "
                    + "or pass a folder holding config.json, preprocessor_config.json and model.safetensors")
        }
        let location = CheckpointLocation(name: model, folder: snapshot)
        try location.checkFiles()
        return location
    }

    func checkFiles() throws {
        for file in ["config.json", "preprocessor_config.json"] where !fileExists(folder + "/" + file) {
            throw ModelError.missingFile(folder: folder, file: file)
        }
        if !fileExists(weightsPath) {
            if fileExists(folder + "/pytorch_model.bin") {
                throw ModelError.unsupported(
                    file: folder + "/pytorch_model.bin",
                    detail: "only PyTorch pickle weights are here; maskscope reads model.safetensors (convert with transformers: model.save_pretrained(folder, safe_serialization=True))")
            }
            throw ModelError.missingFile(folder: folder, file: "model.safetensors")
        }
    }

    /// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (huggingface_hub's order).
    public static func hubCacheDirectory(environment: [String: String]) -> String {
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty { return cache }
        if let home = environment["HF_HOME"], !home.isEmpty { return home + "/hub" }
        let userHome = environment["HOME"] ?? NSHomeDirectory()
        return userHome + "/.cache/huggingface/hub"
    }

    static func isHubRepoID(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        return parts.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && $0.unicodeScalars.allSatisfy(allowed.contains) }
    }

    /// The snapshot `refs/main` names; failing that, the newest snapshot that has a config.json.
    static func snapshotFolder(repoFolder: String) -> String? {
        let snapshots = repoFolder + "/snapshots"
        if let reference = try? String(contentsOfFile: repoFolder + "/refs/main", encoding: .utf8) {
            let folder = snapshots + "/" + reference.trimmingCharacters(in: .whitespacesAndNewlines)
            if fileExists(folder + "/config.json") { return folder }
        }
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: snapshots) else { return nil }
        let candidates = names.map { snapshots + "/" + $0 }.filter { fileExists($0 + "/config.json") }
        return candidates.max { a, b in
            let dateA = (try? manager.attributesOfItem(atPath: a)[.modificationDate] as? Date) ?? .distantPast
            let dateB = (try? manager.attributesOfItem(atPath: b)[.modificationDate] as? Date) ?? .distantPast
            return dateA < dateB
        }
    }
}
