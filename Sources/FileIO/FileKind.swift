// What kind of thing a path names, without opening it: a FIFO must never be opened for reading
// (it blocks until a writer appears) and a device must never be replaced by a rename.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file type in words, for error messages ("FIFO", "character device", ...).
public func fileKindName(mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "regular file"
    case S_IFDIR: return "directory"
    case S_IFIFO: return "FIFO (named pipe)"
    case S_IFCHR: return "character device"
    case S_IFBLK: return "block device"
    case S_IFSOCK: return "socket"
    case S_IFLNK: return "symbolic link"
    default: return "special file"
    }
}

/// True when `path` (following symbolic links) is a regular file.
public func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}

/// Nil when `path` does not exist (or cannot be examined), else its `st_mode` (following links).
public func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode : nil
}
