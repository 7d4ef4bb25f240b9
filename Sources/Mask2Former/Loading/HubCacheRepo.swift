// One repo in the Hugging Face cache: `refs/main` and `refs/pr/N` hold commit hashes naming folders
// under `snapshots/`. transformers falls back to a PR revision when main has only pickle weights
// (the hub's safetensors conversion bot opens such PRs), so the weights a user has may sit in a
// snapshot that refs/main does not name: config from main's snapshot, weights from that one.

import FileIO
import Foundation

struct HubCacheRepo {
    let folder: String

    var snapshots: String { folder + "/snapshots" }

    /// The commit a ref names, if it is a plain folder name (a ref cannot lead outside snapshots/).
    func snapshot(ofRef ref: String) -> String? {
        guard let text = try? String(contentsOfFile: folder + "/refs/" + ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !commit.isEmpty, !commit.hasPrefix("."), commit.unicodeScalars.allSatisfy(CharacterSet.alphanumerics.contains) else { return nil }
        return snapshots + "/" + commit
    }

    /// Every ref under refs/ other than main (refs/pr/3 → "pr/3"), sorted.
    var otherRefs: [String] {
        let refs = folder + "/refs"
        guard let enumerator = FileManager.default.enumerator(atPath: refs) else { return [] }
        var names: [String] = []
        while let name = enumerator.nextObject() as? String {
            if name != "main", !isDirectory(refs + "/" + name) { names.append(name) }
        }
        return names.sorted()
    }

    /// Snapshot folders, newest first.
    var snapshotsByDate: [String] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: snapshots) else { return [] }
        func date(_ path: String) -> Date { ((try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast }
        return names.map { snapshots + "/" + $0 }.sorted { date($0) > date($1) }
    }

    /// refs/main's snapshot if it has a config.json, else the newest that has one; its weights if it
    /// holds any maskscope reads, else those of another snapshot (refs first), said in `note`.
    func location(name: String) -> CheckpointLocation? {
        let main = snapshot(ofRef: "main").flatMap { fileExists($0 + "/config.json") ? $0 : nil }
        guard let configFolder = main ?? snapshotsByDate.first(where: { fileExists($0 + "/config.json") }) else { return nil }
        let configCommit = (configFolder as NSString).lastPathComponent
        if CheckpointLocation.weightsFile(in: configFolder) != nil {
            var location = CheckpointLocation(name: name, folder: configFolder)
            location.snapshot = main != nil ? "\(configCommit) (refs/main)" : "\(configCommit) (the newest snapshot with a config.json: refs/main names none)"
            return location
        }
        var candidates: [(String, String)] = otherRefs.compactMap { ref in snapshot(ofRef: ref).map { ($0, "refs/\(ref)") } }
        candidates += snapshotsByDate.map { ($0, "no ref names it") }
        for (snapshot, how) in candidates {
            guard let weights = CheckpointLocation.weightsFile(in: snapshot) else { continue }
            let commit = (snapshot as NSString).lastPathComponent
            let note = "weights from snapshot \(commit) (\(how)): \(main == nil ? "the" : "refs/main's") snapshot \(configCommit) holds none maskscope reads"
            return CheckpointLocation(name: name, folder: configFolder, weightsPath: weights, note: note)
        }
        // No snapshot has weights: checkFiles names the missing file in the config's folder.
        return CheckpointLocation(name: name, folder: configFolder)
    }
}
