// The errors of file access, written for the person who has to fix them.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file could not be read or written. `description` is one sentence naming the path.
public enum FileError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case isDirectory(path: String)
    /// A FIFO, device or socket where a file was expected: never opened for reading or replaced.
    case notRegularFile(path: String, kind: String)
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    /// The disk (or quota, or file-size limit) is full: no further write can succeed, so batch runs stop.
    case outOfSpace(path: String, reason: String)
    /// The file was read but what it holds is not what it should be (bad JSON, a missing field, …).
    case invalidContent(path: String, reason: String)
    /// Refused because writing would replace a file the user did not ask us to replace.
    case wouldOverwrite(path: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .isDirectory(let path): return "\(path): is a directory, expected a file"
        case .notRegularFile(let path, let kind): return "\(path): is a \(kind), expected a regular file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
        case .outOfSpace(let path, let reason): return "\(path): cannot write: \(reason)"
        case .invalidContent(let path, let reason): return "\(path): \(reason)"
        case .wouldOverwrite(let path):
            return "\(path): already exists; pass --overwrite to replace it"
        }
    }
}

extension FileError {
    /// The error for a failed write(2)/fsync(2)/close(2) on `path`: out of space kept apart from the rest.
    static func writeFailed(path: String, errno code: Int32) -> FileError {
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT || code == EFBIG { return .outOfSpace(path: path, reason: reason) }
        return .unwritable(path: path, reason: reason)
    }
}
