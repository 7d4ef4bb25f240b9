// The most memory a forward pass may need before maskscope refuses to start it: a share of the
// machine's memory by default (so a config or image that needs more ends in a message, not in the
// kernel's OOM killer), raised or lowered with --memory-limit or MASKSCOPE_MEMORY_LIMIT.

import Foundation

public struct MemoryLimit: Sendable, Equatable {
    public var bytes: Int
    /// Where the figure came from, for the refusal message.
    public var source: String

    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    public static let environmentVariable = "MASKSCOPE_MEMORY_LIMIT"
    /// Share of physical memory allowed by default: the rest is the OS, the page cache and other programs.
    public static let defaultShare = 0.8
    public static let syntax = "a size in GiB (12 or 12.5) or with a unit (512M, 12G, 12GiB, 12000000000B)"
    /// How to change it, for the refusal message.
    public static let howToRaise = "raise the limit with --memory-limit <GiB> or \(environmentVariable)"

    /// `MASKSCOPE_MEMORY_LIMIT` if set, else 80 % of physical memory (or of the cgroup's limit, if lower).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryLimit {
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let bytes = parse(text) else {
                throw ModelError.badSetting(name: environmentVariable, value: text, allowed: syntax)
            }
            return MemoryLimit(bytes: bytes, source: "\(environmentVariable)=\(text)")
        }
        let physical = physicalMemory()
        return MemoryLimit(bytes: Int(Double(physical.bytes) * defaultShare),
                           source: "\(Int(defaultShare * 100)) % of \(formatBytes(physical.bytes)) \(physical.kind)")
    }

    /// Parses `12`, `12.5` (GiB), `512M`, `12G`, `12GiB`, `1.5T`, `12000000000B` (bytes). Nil when malformed,
    /// not positive, or beyond Int.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let number = Double(digits), number.isFinite, number > 0 else { return nil }
        let scale: Double
        switch unit {
        case "": scale = 0x1p30
        case "b": scale = 1
        case "k", "kb", "kib": scale = 0x1p10
        case "m", "mb", "mib": scale = 0x1p20
        case "g", "gb", "gib": scale = 0x1p30
        case "t", "tb", "tib": scale = 0x1p40
        default: return nil
        }
        let bytes = number * scale
        guard bytes >= 1, bytes < 0x1p62 else { return nil }
        return Int(bytes)
    }

    /// MemTotal from /proc/meminfo, lowered to the cgroup v2 limit where one is set; sysconf elsewhere.
    static func physicalMemory() -> (bytes: Int, kind: String) {
        var total = 0
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            total = kib.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kib * 1024
        }
        if total <= 0 {
            let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
            if pages > 0, size > 0, !pages.multipliedReportingOverflow(by: size).overflow { total = pages * size }
        }
        if total <= 0 { total = 8 << 30 }   // unknown: assume a small machine
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let cgroup = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), cgroup > 0, cgroup < total {
            return (cgroup, "cgroup memory limit")
        }
        return (total, "physical memory")
    }
}
