// The maskscope executable: the only place that prints errors and chooses exit codes.

import ArgumentParser

@main
struct Maskscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maskscope",
        abstract: "Look inside Mask2Former: run it on the CPU and see every layer's prediction.",
        subcommands: [PredictCommand.self, InspectCommand.self])
}
