// Array jobs as schedulers run them: each task learns its shard from the environment (Slurm, Kubernetes
// Indexed Jobs, …), writes its manifest, and `merge` + `eval --predictions` give exactly the figures of
// one unsharded run.

import Foundation
import TestSupport
import Testing

@Suite("sharded runs from scheduler variables, merge, eval", .serialized)
struct ClusterShardTests {
    let scenes = repositoryRoot + "/SampleImages/shapes"
    let truthJSON = fixturePath("shapes-sample/panoptic.json")
    let truthPNGs = fixturePath("shapes-sample/panoptic")

    func segment(_ out: String, environment extra: [String: String] = [:], _ arguments: [String] = []) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        for name in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "JOB_COMPLETION_INDEX",
                     "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT", "MASKSCOPE_SHARD_COUNT"] {
            environment[name] = nil
        }
        environment.merge(extra) { _, new in new }
        return try #require(try runMaskscope(["segment", scenes, "--task", "all", "--out", out] + arguments, timeout: 300, environment: environment))
    }

    /// merge, then eval on the merged folder: the figures table (stdout) and the JSON of every figure.
    func mergeAndEvaluate(_ out: String) throws -> (table: String, json: String) {
        let merged = try #require(try runMaskscope(["merge", out], timeout: 120))
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stderr.contains("merged 6 image(s)"), "\(merged.stderr)")
        let figures = out + "/figures.json"
        let evaluated = try #require(try runMaskscope(["eval", "--predictions", out, "--panoptic-json", truthJSON, "--panoptic-dir", truthPNGs,
                                                      "--json", figures], timeout: 120))
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        return (evaluated.stdout, try String(contentsOfFile: figures, encoding: .utf8))
    }

    func resultFiles(_ out: String) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String } ?? []).filter { $0.hasPrefix("shapes/") && $0.contains(".") })
    }

    @Test("two tasks from Slurm's and from Kubernetes' variables: disjoint, complete, and merged figures equal the unsharded run's")
    func shardedEqualsUnsharded() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let whole = try segment(root + "/whole")
        #expect(whole.status == 0, "\(whole.stderr)")
        let reference = try mergeAndEvaluate(root + "/whole")
        #expect(reference.table.contains("PQ"), "\(reference.table)")
        // The saved-and-merged path scores what running the model scores (PQ and mIoU; mask AP differs:
        // eval --model keeps every instance score for AP, segment only those above --threshold).
        let direct = try #require(try runMaskscope(["eval", "--images", scenes, "--panoptic-json", truthJSON, "--panoptic-dir", truthPNGs], timeout: 300))
        #expect(direct.status == 0, "\(direct.stderr)")
        let headline = { (table: String) in table.split(separator: "\n").filter { $0.hasPrefix("All") || $0.hasPrefix("Things") || $0.hasPrefix("Stuff") || $0.hasPrefix("semantic") } }
        #expect(headline(reference.table).count == 4 && headline(reference.table) == headline(direct.stdout), "\(reference.table)\n\(direct.stdout)")
        let everything = resultFiles(root + "/whole")
        #expect(everything.count == 6 * 8)

        let schedulers: [(name: String, variables: (Int) -> [String: String], arguments: [String])] = [
            ("slurm", { ["SLURM_ARRAY_TASK_ID": "\($0)", "SLURM_ARRAY_TASK_COUNT": "2"] }, []),
            ("kubernetes", { ["JOB_COMPLETION_INDEX": "\($0)"] }, ["--shard-count", "2"]),
        ]
        for scheduler in schedulers {
            let out = root + "/" + scheduler.name
            var seen: [Set<String>] = []
            for task in 0..<2 {
                let before = resultFiles(out)
                let result = try segment(out, environment: scheduler.variables(task), scheduler.arguments)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("shard \(task + 1)/2 from"), "\(result.stderr)")
                seen.append(resultFiles(out).subtracting(before))
                #expect(FileManager.default.fileExists(atPath: out + "/maskscope-manifest.shard-000\(task + 1)-of-0002.json"))
            }
            #expect(seen[0].isDisjoint(with: seen[1]) && !seen[0].isEmpty && !seen[1].isEmpty, "\(scheduler.name)")
            #expect(seen[0].union(seen[1]) == everything, "\(scheduler.name)")
            let figures = try mergeAndEvaluate(out)
            #expect(figures.table == reference.table, "\(scheduler.name)")
            #expect(figures.json == reference.json, "\(scheduler.name)")
        }
    }

    @Test("1-based and stepped Slurm arrays, AWS Batch and Cloud Run map to the right shard",
          arguments: [
            (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"], "shard 3/3"),
            (["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "6"], "shard 1/6"),
            (["AWS_BATCH_JOB_ARRAY_INDEX": "1", "AWS_BATCH_JOB_ARRAY_SIZE": "4"], "shard 2/4"),
            (["CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_COUNT": "6"], "shard 1/6"),
          ])
    func schedulerIndex(_ variables: [String: String], _ expected: String) throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // --task semantic on one image is quick; the shard line is what is checked.
        let result = try segment(root + "/out", environment: variables, ["--task", "semantic"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(expected + " from"), "\(result.stderr)")
    }

    @Test("a count without an index, an index out of range, an index without a count: one clear line, status 1",
          arguments: [
            (["SLURM_ARRAY_TASK_COUNT": "4"], "SLURM_ARRAY_TASK_ID is not"),
            (["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"], "outside 0…3"),
            (["JOB_COMPLETION_INDEX": "1"], "--shard-count"),
            (["JOB_COMPLETION_INDEX": "2", "MASKSCOPE_SHARD_COUNT": "2"], "outside 0…1"),
            (["MASKSCOPE_SHARD_COUNT": "3"], "no task index"),
            (["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"], "not an integer"),
          ])
    func schedulerErrors(_ variables: [String: String], _ expected: String) throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        expectOneLineError(try segment(root + "/out", environment: variables), status: 1, [expected])
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
    }

    @Test("merge names a shard that never ran, a failed image, and shards run with other options; writes nothing then")
    func mergeRefuses() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        let first = try segment(out, ["--shard", "1/3"])
        #expect(first.status == 0, "\(first.stderr)")
        let missing = try #require(try runMaskscope(["merge", out], timeout: 60))
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("shard(s) 2, 3 of 3 wrote no manifest"), "\(missing.stderr)")

        let other = try segment(out, ["--shard", "2/3", "--threshold", "0.6"])
        #expect(other.status == 0, "\(other.stderr)")
        let third = try segment(out, ["--shard", "3/3"])
        #expect(third.status == 0, "\(third.stderr)")
        let mismatch = try #require(try runMaskscope(["merge", out], timeout: 60))
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("--threshold"), "\(mismatch.stderr)")

        // Redo shard 2 the same way as the others, then fail one of its images on purpose.
        let redo = try segment(out, ["--shard", "2/3", "--overwrite"])
        #expect(redo.status == 0, "\(redo.stderr)")
        let manifestPath = out + "/maskscope-manifest.shard-0002-of-0003.json"
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as! [String: Any]
        var images = manifest["images"] as! [[String: Any]]
        images[0]["status"] = "failed"
        images[0]["error"] = "test: decoding failed"
        manifest["images"] = images
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
        let failed = try #require(try runMaskscope(["merge", out], timeout: 60))
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("failed: test: decoding failed") && failed.stderr.contains("1 image(s) missing or failed"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/panoptic.json"))
    }
}
