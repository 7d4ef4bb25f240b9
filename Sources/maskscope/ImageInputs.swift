// The images a batch command works on: files as given, folders walked recursively, in a stable
// order so that `--shard K/N` slices are the same on every machine.

import FileIO
import Foundation

struct ImageInput: Equatable {
    var path: String
    /// Output path stem under `--out`, without extension: unique within one run.
    var outputStem: String
}

enum ImageInputs {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Expands files and folders. A folder `photos/` contributes `photos/<relative path>` stems;
    /// a file contributes its name. A subfolder `X/` with an `X.json` beside it is ground truth and skipped. Throws when two inputs would write the same outputs.
    static func collect(_ arguments: [String]) throws -> [ImageInput] {
        var inputs: [ImageInput] = []
        for argument in arguments {
            if isDirectory(argument) {
                let root = URL(fileURLWithPath: argument).standardizedFileURL
                let base = root.lastPathComponent
                guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
                    throw FileError.unreadable(path: argument, reason: "cannot list the folder")
                }
                var found: [ImageInput] = []
                for case let url as URL in walker {
                    // A COCO panoptic ground truth (X.json beside folder X/) holds label PNGs, not images.
                    if isDirectory(url.path) && fileExists(url.path + ".json") { walker.skipDescendants(); continue }
                    guard extensions.contains(url.pathExtension.lowercased()) else { continue }
                    let relative = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
                    found.append(ImageInput(path: url.path, outputStem: base + "/" + (relative as NSString).deletingPathExtension))
                }
                inputs += found.sorted { $0.path < $1.path }
            } else if fileExists(argument) {
                let name = (argument as NSString).lastPathComponent
                inputs.append(ImageInput(path: argument, outputStem: (name as NSString).deletingPathExtension))
            } else {
                throw FileError.notFound(path: argument)
            }
        }
        var seen: [String: String] = [:]
        for input in inputs {
            if let other = seen[input.outputStem] {
                throw FileError.unwritable(path: input.outputStem, reason: "'\(other)' and '\(input.path)' would write the same results; pass them in separate runs or folders")
            }
            seen[input.outputStem] = input.path
        }
        return inputs
    }

    /// The K-th (1-based) of N disjoint slices: every N-th image starting at K−1.
    static func shard(_ inputs: [ImageInput], index: Int, count: Int) -> [ImageInput] {
        inputs.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}
