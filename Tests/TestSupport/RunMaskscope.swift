// Runs the built `maskscope` executable the way a user would and captures what they would see.

import Foundation

public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The `maskscope` binary built next to the running test bundle, or `$MASKSCOPE_EXECUTABLE` when set:
/// CI runs the CLI tests a second time against the release build (some bugs exist only there).
public func maskscopeExecutable() -> String {
    if let chosen = ProcessInfo.processInfo.environment["MASKSCOPE_EXECUTABLE"], !chosen.isEmpty { return chosen }
    var candidates: [String] = []
    let bundle = Bundle.main.bundleURL
    candidates.append(bundle.appendingPathComponent("maskscope").path)
    candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("maskscope").path)
    let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("maskscope").path)
    candidates.append(argument0.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("maskscope").path)
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}

/// Runs `maskscope arguments…` with no stdin, returning status and both outputs.
public func runMaskscope(_ arguments: [String], executable: String = maskscopeExecutable(),
                         environment: [String: String]? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read before waiting so a large output cannot fill the pipe and stall the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
