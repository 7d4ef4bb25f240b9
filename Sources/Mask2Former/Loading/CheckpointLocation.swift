// Where a model's files are: a folder given by path, or a hub repo id in the local Hugging Face
// cache laid out as huggingface_hub leaves it (refs/<name> → snapshots/<commit>/ → blobs). Nothing
// is ever downloaded.

import FileIO
import Foundation

public struct CheckpointLocation: Sendable, Equatable {
    /// What the user typed (a path or `org/name`).
    public var name: String
    /// The folder holding config.json and preprocessor_config.json.
    public var folder: String
    /// The weights file: in `folder`, or in another snapshot of the same cached repo.
    public var weightsPath: String
    /// Said to the user when the weights come from a snapshot other than `refs/main`'s.
    public var note: String?
    /// For a hub repo id: the snapshot read and which ref named it, for `inspect`.
    public var snapshot: String?
    /// A detectron2 checkpoint file given directly: no config files, the architecture comes from its shapes.
    public var isDetectron2 = false

    public var configPath: String { folder + "/config.json" }
    public var preprocessorConfigPath: String { folder + "/preprocessor_config.json" }

    /// Weight files maskscope reads, in the order it prefers them (transformers' order).
    public static let weightFileNames = ["model.safetensors", "pytorch_model.bin"]

    public init(name: String, folder: String, weightsPath: String? = nil, note: String? = nil) {
        self.name = name
        self.folder = folder
        self.weightsPath = weightsPath ?? Self.weightsFile(in: folder) ?? folder + "/model.safetensors"
        self.note = note
    }

    static func weightsFile(in folder: String) -> String? {
        weightFileNames.map { folder + "/" + $0 }.first(where: fileExists)
    }

    /// Resolves `--model`: an existing folder wins; otherwise `org/name` is looked up in the HF cache.
    public static func resolve(_ model: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CheckpointLocation {
        if isDirectory(model) {
            let location = CheckpointLocation(name: model, folder: model)
            try location.checkFiles()
            return location
        }
        if fileExists(model) {
            // detectron2's model_final_<hash>.pkl (a pickle: PROTO first) or a training .pth (torch.save's zip).
            guard let head = try? MappedFile(path: model), head.bytes.first == 0x80 || Array(head.bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04] else {
                throw ModelError.unsupported(
                    file: model, detail: "--model takes a checkpoint folder, a cached hub repo id or a detectron2 checkpoint (model_final_<hash>.pkl or .pth), and this file is neither a pickle nor torch.save's zip")
            }
            var location = CheckpointLocation(name: model, folder: (model as NSString).deletingLastPathComponent, weightsPath: model)
            location.isDetectron2 = true
            return location
        }
        guard isHubRepoID(model) else {
            throw ModelError.checkpointNotFound(model, detail: "no such folder, and it is not a hub repo id of the form org/name")
        }
        let cache = hubCacheDirectory(environment: environment)
        let repoFolder = cache + "/models--" + model.replacingOccurrences(of: "/", with: "--")
        guard let location = HubCacheRepo(folder: repoFolder).location(name: model) else {
            throw ModelError.checkpointNotFound(
                model, detail: "no folder of that name and not in the Hugging Face cache (looked in \(repoFolder)/snapshots); "
                    + "maskscope never downloads: fetch it with `hf download \(model)` (or `huggingface-cli download \(model)`), "
                    + "or pass a folder holding config.json, preprocessor_config.json and model.safetensors (or pytorch_model.bin), or a detectron2 .pkl")
        }
        try location.checkFiles()
        return location
    }

    func checkFiles() throws {
        for file in ["config.json", "preprocessor_config.json"] where !fileExists(folder + "/" + file) {
            throw ModelError.missingFile(folder: folder, file: file)
        }
        if !fileExists(weightsPath) {
            throw ModelError.missingFile(folder: folder, file: "model.safetensors or pytorch_model.bin")
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
}
