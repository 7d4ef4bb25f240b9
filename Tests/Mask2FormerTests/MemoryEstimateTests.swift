// The forward-pass memory estimate against the real thing, the memory limit, and NaN/inf weights.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Mask2Former
import Safetensors
import TensorCore
import TestSupport
import Testing

/// Runs the maskscope binary and returns its exit status and peak resident memory, measured for that
/// child alone (tests running alongside do not disturb it): wait4's ru_maxrss, and VmHWM polled from
/// /proc every millisecond in case something else in this process reaps the child first (status nil).
func peakResidentBytes(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32?, bytes: Int) {
    let executable = maskscopeExecutable()
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: executable + " (build with --build-tests first)"])
    }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    var polled = 0
    while true {
        var status: Int32 = 0
        var usage = rusage()
        let waited = wait4(pid, &status, WNOHANG, &usage)
        // The child's own high-water mark (VmHWM, per address space) when it was read: ru_maxrss also
        // counts the address space the child was spawned from (posix_spawn shares ours until exec, and
        // exec records its peak), so in a busy test process it reads this process's size, not the
        // child's. ru_maxrss (KiB) only when no poll saw the child. Exit code in bits 8…15.
        if waited == pid { return ((status >> 8) & 0xFF, polled > 0 ? polled : usage.ru_maxrss * 1024) }
        if waited < 0 && errno != EINTR { return (nil, polled) }
        if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            polled = max(polled, kib * 1024)
        }
        usleep(1000)
    }
}

@Suite("Memory estimate and weight checks")
struct MemoryEstimateTests {
    /// A scratch copy of the tiny model whose processor resizes every image to exactly `side × side`.
    func fixedSizeModel(side: Int) throws -> ScratchModel {
        let scratch = try ScratchModel()
        let processor = #"{"size": {"height": \#(side), "width": \#(side)}, "size_divisor": 32}"#
        try processor.write(toFile: scratch.folder + "/preprocessor_config.json", atomically: true, encoding: .utf8)
        return scratch
    }

    @Test("the estimate is within a factor of the peak RSS a forward pass adds (tiny model, 384² → 1536²)")
    func estimateAgainstMeasuredPeak() throws {
        let image = fixturePath("reference/images/scene-120x90.png")
        // Peak RSS of a whole predict run at each size; the difference is what the larger forward pass
        // adds, free of the process's fixed part (libraries, thread arenas, weights), which varies by
        // tens of MiB from run to run.
        var peaks: [Int: Int] = [:], estimates: [Int: MemoryEstimate] = [:]
        for side in [384, 1536] {
            let scratch = try fixedSizeModel(side: side)
            defer { scratch.remove() }
            let run = try peakResidentBytes(["predict", image, "--model", scratch.folder])
            #expect(run.status ?? 0 == 0 && run.bytes > 0)
            peaks[side] = run.bytes
            estimates[side] = try scratch.load().memoryEstimate(height: side, width: side)
        }
        let measured = (peaks[1536] ?? 0) - (peaks[384] ?? 0)
        let estimated = (estimates[1536]?.totalBytes ?? 0) - (estimates[384]?.totalBytes ?? 0)
        let ratio = Double(estimated) / Double(max(measured, 1))
        print("memory estimate 384² → 1536²: +\(formatBytes(estimated)) (1536²: \(formatBytes(estimates[1536]?.activationBytes ?? 0)) of activations, "
              + "peak in \(estimates[1536]?.peakStage ?? "?")); measured peak RSS \(formatBytes(peaks[384] ?? 0)) → \(formatBytes(peaks[1536] ?? 0)), "
              + "+\(formatBytes(measured)); ratio \(String(format: "%.2f", ratio))")
        // Errs high (measured 1.1–1.6×: it counts a stage's temporaries as live together, and every layer's
        // full-resolution masks, which predict does not compute), never far below.
        #expect(ratio > 0.8 && ratio < 3, "estimate +\(formatBytes(estimated)), measured +\(formatBytes(measured))")
    }

    @Test("the estimate grows with the input and saturates instead of overflowing")
    func estimateShape() throws {
        let model = try ScratchModel().load()
        let small = model.memoryEstimate(height: 256, width: 256), large = model.memoryEstimate(height: 1024, width: 1024)
        #expect(large.activationBytes > 10 * small.activationBytes)
        #expect(small.weightBytes == large.weightBytes && small.weightBytes > 2_000_000)
        let absurd = model.memoryEstimate(height: Int.max / 2, width: Int.max / 2)
        #expect(absurd.totalBytes == Int.max)
        #expect(throws: ModelError.self) { try model.checkMemory(inputHeight: 1 << 20, inputWidth: 1 << 20) }
        #expect(throws: Never.self) { try model.checkMemory(inputHeight: 256, inputWidth: 256) }
    }

    @Test("a processor size that needs more than the limit is refused at load, before any weight is read")
    func refusedAtLoad() throws {
        let scratch = try fixedSizeModel(side: 16384)
        defer { scratch.remove() }
        let limit = MemoryLimit(bytes: 1 << 30, source: "test")
        let message = try #require(loadingError { _ = try Mask2FormerModel(location: scratch.location, memoryLimit: limit) })
        #expect(message.contains("preprocessor_config.json: a forward pass at 16384×16384") && message.contains("more than the memory limit of 1.0 GiB (test)")
                && message.contains("size") && message.contains("--memory-limit"), "\(message)")
        // The same model loads with a limit that covers it.
        #expect(throws: Never.self) { _ = try Mask2FormerModel(location: scratch.location, memoryLimit: MemoryLimit(bytes: 1 << 50, source: "test")) }
    }

    @Test("memory limits parse from GiB and sizes with units; the environment variable is read and checked")
    func limits() throws {
        #expect(MemoryLimit.parse("12") == 12 << 30)
        #expect(MemoryLimit.parse("0.5") == 1 << 29)
        #expect(MemoryLimit.parse("512M") == 512 << 20)
        #expect(MemoryLimit.parse("12GiB") == 12 << 30)
        #expect(MemoryLimit.parse("1000B") == 1000)
        for bad in ["", "x", "-1", "0", "12Q", "1e400", "nan", "9999999999999T"] { #expect(MemoryLimit.parse(bad) == nil, "\(bad)") }
        #expect(try MemoryLimit.standard(environment: ["MASKSCOPE_MEMORY_LIMIT": "3G"]).bytes == 3 << 30)
        let message = try #require(loadingError { _ = try MemoryLimit.standard(environment: ["MASKSCOPE_MEMORY_LIMIT": "lots"]) })
        #expect(message.contains("MASKSCOPE_MEMORY_LIMIT is 'lots'; must be a size in GiB"), "\(message)")
        let standard = try MemoryLimit.standard(environment: [:])
        #expect(standard.bytes > 256 << 20 && standard.source.contains("80 %"), "\(standard)")
    }

    @Test("a NaN or infinite weight is refused at load, naming the tensor", arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteWeight(_ bad: Float) throws {
        let scratch = try ScratchModel()
        defer { scratch.remove() }
        let target = "model.pixel_level_module.decoder.layer_1.1.weight"
        try scratch.rewriteWeights { name, tensor, writer in
            var tensor = tensor
            if name == target { tensor.scalars[5] = bad }
            writer.add(name, tensor)
        }
        let message = try #require(loadingError { _ = try scratch.load() })
        #expect(message.contains("model.safetensors: tensor '\(target)' holds \(bad) at element 5 of 32"), "\(message)")
    }

    @Test("the finite scan finds a bad value at every position and in every tail length")
    func finiteScan() {
        for count in [0, 1, 15, 16, 17, 63, 64, 65, 200] {
            let clean = [Float](repeating: 1e30, count: count)
            #expect(clean.withUnsafeBufferPointer(firstNonFinite) == nil)
            for position in Set([0, count / 2, count - 1]) where position >= 0 && position < count {
                var values = clean
                values[position] = .nan
                #expect(values.withUnsafeBufferPointer(firstNonFinite) == position, "count \(count), NaN at \(position)")
                values[position] = -.infinity
                #expect(values.withUnsafeBufferPointer(firstNonFinite) == position, "count \(count), -inf at \(position)")
            }
        }
    }

    /// Not a check: prints what the scan costs next to the copy loading already does. Run with
    /// MASKSCOPE_MEASURE_SCAN=1 (tests assert behaviour, never time).
    @Test("cost of the finite scan on 200 MB of weights", .enabled(if: ProcessInfo.processInfo.environment["MASKSCOPE_MEASURE_SCAN"] != nil))
    func scanCost() {
        let count = 50_000_000   // 200 MB of f32, a Swin-B-sized checkpoint
        let source = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Float(i % 1000) * 1e-3 }
            initialized = count
        }
        func seconds(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var copies: [Double] = [], scans: [Double] = []
        for _ in 0..<5 {
            var copy: [Float] = []
            copies.append(seconds { copy = Array(source); copy[0] += 1 })
            scans.append(seconds { #expect(copy.withUnsafeBufferPointer(firstNonFinite) == nil) })
        }
        print("finite scan of 200 MB: median \(String(format: "%.1f", scans.sorted()[2] * 1000)) ms "
              + "(copy of the same bytes, as loading does: \(String(format: "%.1f", copies.sorted()[2] * 1000)) ms)")
    }
}
