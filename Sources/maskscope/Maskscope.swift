import ArgumentParser

@main
struct Maskscope: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Look inside Mask2Former.")
}
