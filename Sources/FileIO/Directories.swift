// Creating output folders with errors a person can act on (Foundation's are NSCocoaErrorDomain dumps).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Directories {
    /// Creates `path` and any missing parents (like `mkdir -p`). An existing folder is fine; an
    /// existing file, device or FIFO anywhere on the way is an error naming it.
    public static func create(_ path: String) throws {
        if path.isEmpty { return }
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return }
            throw FileError.unwritable(path: path, reason: "it exists and is a \(fileKindName(mode: info.st_mode)), not a folder")
        }
        let parent = parentDirectory(of: path)
        if !parent.isEmpty && parent != path { try create(parent) }
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            throw FileError.unwritable(path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
        }
        if !isDirectory(path) { throw FileError.unwritable(path: path, reason: "cannot create the folder") }
    }
}
