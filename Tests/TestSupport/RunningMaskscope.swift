// A `maskscope` process the test can signal, kill and time out: what a user does with Ctrl-C, a
// scheduler with SIGTERM, and the OOM killer with SIGKILL.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class RunningMaskscope {
    public let process = Process()
    let stdoutFile: String
    let stderrFile: String

    /// Starts `maskscope arguments…` with no stdin; output goes to files so that nothing can stall it.
    /// With `shell`, the command line runs under `bash -c` with the executable as `$0`… e.g. to set ulimits:
    /// `shell: "ulimit -f 8; exec \"$0\" \"$@\""`.
    public init(_ arguments: [String], executable: String = maskscopeExecutable(), environment: [String: String]? = nil,
                shell: String? = nil) throws {
        let base = NSTemporaryDirectory() + "maskscope-run-" + UUID().uuidString
        stdoutFile = base + ".out"
        stderrFile = base + ".err"
        FileManager.default.createFile(atPath: stdoutFile, contents: nil)
        FileManager.default.createFile(atPath: stderrFile, contents: nil)
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", shell, executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutFile)
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: stdoutFile)
        try? FileManager.default.removeItem(atPath: stderrFile)
    }

    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// What it has written to stderr so far.
    public var stderr: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    /// Waits until it exits (nil if it is still running after `timeout` seconds: a hang, and it is killed).
    /// The status of a process ended by a signal is 128 + the signal, as a shell reports it.
    public func wait(timeout: TimeInterval) -> CommandResult? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandResult(status: status, stdout: (try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "", stderr: stderr)
    }

    /// Waits (up to `timeout` seconds) until `condition` holds; false if it never did or the process ended first.
    public func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(10_000)
        }
        return false
    }
}

/// Runs `maskscope arguments…` and gives up after `timeout` seconds (nil = it hung and was killed).
public func runMaskscope(_ arguments: [String], timeout: TimeInterval, environment: [String: String]? = nil,
                         shell: String? = nil) throws -> CommandResult? {
    try RunningMaskscope(arguments, environment: environment, shell: shell).wait(timeout: timeout)
}
