// A read-only memory map of a whole file: weights are paged in on demand, never copied up front.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory. The mapping lives as long as this object.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The file's bytes. Valid for the lifetime of `self`.
    public let bytes: UnsafeRawBufferPointer

    public var count: Int { bytes.count }

    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It changes
        // nothing for a regular file, and anything else is refused right after the fstat.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFile.openError(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw FileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        try MappedFile.requireRegularFile(mode: info.st_mode, path: path)
        let size = Int(info.st_size)
        if size == 0 {
            // mmap of zero bytes fails; an empty buffer is the honest answer.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw FileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Drops the resident pages wholly inside `range` (byte offsets into `bytes`). The bytes stay
    /// readable: a later read faults them back in from the page cache. Loading calls this after
    /// copying each tensor, so the file's pages and the copies are never resident together (a
    /// Swin-L checkpoint would otherwise count twice in peak RSS: 2 × 0.86 GB).
    public func releasePages(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: base) + range.upperBound) / page * page
        guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(address, end - start, Int32(MADV_DONTNEED))
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// A FIFO, device or socket has no size and may block or never end: refused by name.
    static func requireRegularFile(mode: mode_t, path: String) throws {
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw FileError.isDirectory(path: path)
        default: throw FileError.notRegularFile(path: path, kind: fileKindName(mode: mode))
        }
    }

    static func openError(path: String, errno code: Int32) -> FileError {
        switch code {
        case ENOENT: return .notFound(path: path)
        case EISDIR: return .isDirectory(path: path)
        default: return .unreadable(path: path, reason: String(cString: strerror(code)))
        }
    }
}
