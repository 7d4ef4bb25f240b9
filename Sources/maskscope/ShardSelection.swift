// Which slice of the inputs this process works on: `--shard K/N`, else the task index and count that
// an array-job scheduler puts in the environment (Slurm, Kubernetes Indexed Jobs, AWS Batch, Cloud Run).

import ArgumentParser
import Foundation

/// One of N disjoint slices (1-based `index`), and where that came from, for the log.
struct ShardSelection: Equatable {
    var index: Int
    var count: Int
    var source: String

    static let countVariable = "MASKSCOPE_SHARD_COUNT"

    /// `explicit` (from `--shard`) wins; then the first scheduler whose index variable is set. Nil: the
    /// whole input (no scheduler, or a scheduler's single task). `shardCount` is `--shard-count`.
    static func resolve(explicit: Shard?, shardCount: Int?, environment: [String: String]) throws -> ShardSelection? {
        if let explicit {
            if let shardCount, shardCount != explicit.count {
                throw ValidationError("--shard \(explicit.index)/\(explicit.count) and --shard-count \(shardCount) disagree")
            }
            return ShardSelection(index: explicit.index, count: explicit.count, source: "--shard")
        }
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(name)=\(text) is not an integer")
            }
            return value
        }
        var countOption: (value: Int, name: String)?
        if let shardCount { countOption = (shardCount, "--shard-count") } else if let value = try integer(countVariable) { countOption = (value, countVariable) }

        // (index variable, count variable or nil) per scheduler, in the order they are tried.
        let schedulers: [(name: String, index: String, count: String?)] = [
            ("Slurm array", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"),
            ("Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", nil),
            ("AWS Batch array", "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"),
            ("Cloud Run job", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"),
        ]
        for scheduler in schedulers {
            let count = try scheduler.count.flatMap { try integer($0) }
            guard let rawIndex = try integer(scheduler.index) else {
                if let count, let name = scheduler.count, count > 1 {
                    throw ValidationError("\(name)=\(count) is set but \(scheduler.index) is not: cannot tell which shard this task is")
                }
                continue
            }
            var index = rawIndex
            var detail = "\(scheduler.index)=\(rawIndex)"
            if scheduler.index == "SLURM_ARRAY_TASK_ID" {
                // Arrays may start at 1 (--array=1-8) or step (--array=0-15:4): the position is (ID − MIN) / STEP.
                let minimum = try integer("SLURM_ARRAY_TASK_MIN") ?? 0
                let step = try integer("SLURM_ARRAY_TASK_STEP") ?? 1
                guard step >= 1, rawIndex >= minimum, (rawIndex - minimum) % step == 0 else {
                    throw ValidationError("SLURM_ARRAY_TASK_ID=\(rawIndex) is not in the array MIN=\(minimum), STEP=\(step)")
                }
                index = (rawIndex - minimum) / step
                if minimum != 0 || step != 1 { detail += ", MIN=\(minimum), STEP=\(step)" }
            }
            let total: Int
            if let count, let name = scheduler.count {
                if let countOption, countOption.value != count {
                    throw ValidationError("\(countOption.name) \(countOption.value) disagrees with \(name)=\(count)")
                }
                total = count
                detail += ", \(name)=\(count)"
            } else if let countOption {
                total = countOption.value
                detail += ", \(countOption.name) \(countOption.value)"
            } else {
                throw ValidationError("\(scheduler.index) is set but the number of tasks is not: pass --shard-count N or set \(countVariable)")
            }
            guard total >= 1 else { throw ValidationError("the number of tasks is \(total); it must be at least 1 (\(detail))") }
            guard (0..<total).contains(index) else {
                throw ValidationError("task index \(index) is outside 0…\(total - 1) (\(detail))")
            }
            return ShardSelection(index: index + 1, count: total, source: "\(scheduler.name) (\(detail))")
        }
        if let countOption, countOption.value != 1 {
            throw ValidationError("\(countOption.name) \(countOption.value) is set but no task index is: pass --shard K/N, or run under a scheduler that sets one")
        }
        return nil
    }
}
