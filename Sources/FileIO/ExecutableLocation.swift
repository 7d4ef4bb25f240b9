// Where the running binary is, for finding what ships beside it in the checkout (Themes/, Models/,
// SampleImages/): `.build/release/maskscope` → `.build/release`, `.build`, the checkout, … .

import Foundation

/// The running executable's folder and every folder above it, nearest first. /proc/self/exe names
/// the binary even when it was started through a symlink or $PATH.
public func executableAncestors() -> [String] {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().path
    var folders: [String] = []
    var current = URL(fileURLWithPath: executable).standardizedFileURL.deletingLastPathComponent().path
    while true {
        folders.append(current)
        let parent = (current as NSString).deletingLastPathComponent
        if parent == current || parent.isEmpty { return folders }
        current = parent
    }
}
