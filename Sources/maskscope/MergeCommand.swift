// `maskscope merge DIR`: the per-image results that the shards of a `segment` run wrote into one folder,
// combined into the single files that panopticapi and COCOeval read (CocoJSON.swift's types) — after checking that every shard
// ran, all used the same model and options, and every image is done.

import ArgumentParser
import FileIO
import Foundation
import Segmentation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the results of all shards of a segment run into DIR/panoptic.json and DIR/instances.json.",
        discussion: """
            Reads every maskscope-manifest.shard-K-of-N.json in DIR, checks that shards 1…N are all there, used \
            the same model, options and input list, and that every image is done; then writes DIR/panoptic.json \
            (COCO panoptic results, PNGs referenced by file name relative to DIR) and DIR/instances.json (one \
            COCO results list), as the run's --task produced them. Names each missing or failed image and exits 1 \
            if there is any, writing nothing.
            """)

    @Argument(help: "The --out folder of the segment run (all shards).")
    var directory: String

    @Flag(help: "Replace DIR/panoptic.json and DIR/instances.json if they exist.")
    var overwrite = false

    func run() throws {
        try reportingErrors {
            let manifests = try readManifests()
            let first = manifests[0].manifest
            let entries = try completeEntries(manifests)
            let task = SegmentationTask(rawValue: first.provenance.task) ?? .all
            var batch = FileBatch(overwrite: overwrite ? .replace : .refuse)
            var summary: [String] = []
            if task == .panoptic || task == .all {
                var annotations: [CocoPanopticAnnotation] = []
                for entry in entries {
                    var annotation = try JSONFile.decode(CocoPanopticAnnotation.self, path: directory + "/" + entry.stem + ".panoptic.json",
                                                         expecting: "a panoptic segments JSON")
                    annotation.file_name = entry.stem + ".panoptic.png"
                    annotations.append(annotation)
                }
                let stuff = Set(first.provenance.stuffLabels)
                // The model's labels as `categories` (category_id is the model's label id, as `segment` writes it).
                let categories = first.provenance.labels.enumerated().map {
                    CocoCategory(id: $0.offset, name: $0.element, isthing: stuff.contains($0.offset) ? 0 : 1)
                }
                batch.add(try encode(CocoPanopticResults(annotations: annotations, categories: categories)), at: directory + "/panoptic.json")
                summary.append("panoptic.json (\(annotations.reduce(0) { $0 + $1.segments_info.count }) segments)")
            }
            if task == .instance || task == .all {
                var results: [CocoInstanceResult] = []
                for entry in entries {
                    results += try JSONFile.decode([CocoInstanceResult].self, path: directory + "/" + entry.stem + ".instances.json",
                                                   expecting: "a COCO instance results list")
                }
                batch.add(try encode(results), at: directory + "/instances.json")
                summary.append("instances.json (\(results.count) instances)")
            }
            if batch.files.isEmpty {
                throw ValidationError("the run's --task was \(task.rawValue): semantic maps are per image already, there is nothing to merge")
            }
            try batch.commit()
            printError("merged \(entries.count) image(s) from \(manifests.count) shard(s) into \(directory): " + summary.joined(separator: ", "))
        }
    }

    /// Every manifest in the folder, checked to form one complete run: shards 1…N, one model and one set of options.
    func readManifests() throws -> [(path: String, manifest: SegmentManifest)] {
        guard isDirectory(directory) else { throw FileError.notFound(path: directory) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let paths = names.filter { $0.hasPrefix(SegmentManifest.fileNamePrefix) && $0.hasSuffix(".json") }.sorted().map { directory + "/" + $0 }
        guard !paths.isEmpty else {
            throw FileError.invalidContent(path: directory, reason: "no \(SegmentManifest.fileNamePrefix)K-of-N.json here: not the --out folder of a maskscope segment run")
        }
        let manifests = try paths.map { (path: $0, manifest: try SegmentManifest.read($0)) }
        let counts = Set(manifests.map(\.manifest.shard.count))
        guard counts.count == 1, let count = counts.first else {
            throw FileError.invalidContent(path: directory, reason: "manifests of runs split \(counts.sorted().map(String.init).joined(separator: " and ")) ways are mixed here; merge one run per folder")
        }
        let present = Set(manifests.map(\.manifest.shard.index))
        let missing = (1...count).filter { !present.contains($0) }
        if !missing.isEmpty {
            throw FileError.invalidContent(path: directory, reason: "shard(s) \(missing.map(String.init).joined(separator: ", ")) of \(count) wrote no manifest: run them (same --out) before merging")
        }
        let reference = manifests[0]
        for other in manifests.dropFirst() {
            let differences = other.manifest.provenance.differences(from: reference.manifest.provenance)
            if !differences.isEmpty {
                throw FileError.invalidContent(path: other.path, reason: "differs from \((reference.path as NSString).lastPathComponent) in "
                    + differences.joined(separator: ", ") + ": the shards did not run the same way")
            }
        }
        return manifests
    }

    /// All images of the run in input order, each done with its results on disk; else every missing
    /// or failed image is named and the merge fails.
    func completeEntries(_ manifests: [(path: String, manifest: SegmentManifest)]) throws -> [SegmentManifest.Entry] {
        let provenance = manifests[0].manifest.provenance
        let task = SegmentationTask(rawValue: provenance.task) ?? .all
        var byPosition: [Int: SegmentManifest.Entry] = [:]
        var problems: [String] = []
        for (path, manifest) in manifests {
            for entry in manifest.images {
                if byPosition.updateValue(entry, forKey: entry.position) != nil {
                    throw FileError.invalidContent(path: path, reason: "image \(entry.stem) is also in another shard: the shards overlap")
                }
                switch entry.status {
                case .failed: problems.append("\(entry.stem): failed: \(entry.error ?? "no reason recorded")")
                case .pending:
                    let why = manifest.stoppedBy.map { "the shard was stopped by \($0)" } ?? "the shard has not finished"
                    problems.append("\(entry.stem): not processed (\(why))")
                case .done:
                    let outputs = SegmentCommand.outputPaths(base: directory + "/" + entry.stem, task: task)
                    if let absent = outputs.first(where: { !fileExists($0) }) {
                        problems.append("\(entry.stem): \(absent) is missing")
                    }
                }
            }
        }
        if byPosition.count != provenance.totalImages {
            problems.append("the shards hold \(byPosition.count) of the run's \(provenance.totalImages) images")
        }
        if !problems.isEmpty {
            for problem in problems.prefix(50) { printError(problem) }
            if problems.count > 50 { printError("… and \(problems.count - 50) more") }
            throw FileError.invalidContent(path: directory, reason: "\(problems.count) image(s) missing or failed, nothing merged; "
                + "rerun the shards concerned with --skip-existing, then merge again")
        }
        return byPosition.keys.sorted().compactMap { byPosition[$0] }
    }

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [0x0A]
    }
}
