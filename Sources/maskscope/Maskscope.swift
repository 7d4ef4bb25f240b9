// The maskscope executable: the only place that prints errors and chooses exit codes.

import ArgumentParser
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

@main
struct Maskscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maskscope",
        abstract: "Look inside Mask2Former: run it on the CPU and see every layer's prediction.",
        subcommands: [ExploreCommand.self, PredictCommand.self, InspectCommand.self, SegmentCommand.self, MergeCommand.self, EvalCommand.self, BenchCommand.self],
        // `maskscope` alone opens the explorer on the default model and the sample scenes.
        defaultSubcommand: ExploreCommand.self)

    /// Exit statuses: 0 success, 1 a failure the user can fix (reported by the command), 2 bad usage.
    static func main() {
        _ = BLASRestart.choice   // may restart the process with the right BLAS kernels: before anything else
        MemoryReuse.enable()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // ArgumentParser's usage errors (64 by default) are status 2 here, as in most Unix tools,
                // and one line like every other error: the message and where the options are listed.
                var message = self.message(for: error)
                if message.hasPrefix("Error: ") { message.removeFirst(7) }
                let known = configuration.subcommands.map { $0._commandName }
                let command = CommandLine.arguments.dropFirst().first(where: known.contains).map { "maskscope \($0)" } ?? "maskscope"
                printError((message.isEmpty ? "invalid usage" : message) + " (see '\(command) --help')")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
