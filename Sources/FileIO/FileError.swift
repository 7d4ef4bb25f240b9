// The errors of file access, written for the person who has to fix them.

/// A file could not be read or written. `description` is one sentence naming the path.
public enum FileError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case isDirectory(path: String)
    /// A FIFO, device or socket where a file was expected: never opened for reading or replaced.
    case notRegularFile(path: String, kind: String)
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    /// Refused because writing would replace a file the user did not ask us to replace.
    case wouldOverwrite(path: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .isDirectory(let path): return "\(path): is a directory, expected a file"
        case .notRegularFile(let path, let kind): return "\(path): is a \(kind), expected a regular file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
        case .wouldOverwrite(let path):
            return "\(path): already exists; pass --overwrite to replace it"
        }
    }
}
