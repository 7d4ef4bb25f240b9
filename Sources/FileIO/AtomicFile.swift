// Atomic writes: a reader (or a crash) sees the old file or the new one, never half of one.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What to do when the destination already exists.
public enum OverwritePolicy: Sendable {
    /// Refuse with `FileError.wouldOverwrite`: a user's file is never replaced silently.
    case refuse
    case replace
}

public enum AtomicFile {
    /// Writes `data` to `path` through a temporary file in the same directory, fsync and rename.
    public static func write(_ data: [UInt8], to path: String, overwrite: OverwritePolicy = .refuse) throws {
        try data.withUnsafeBytes { buffer in
            try write(buffer, to: path, overwrite: overwrite)
        }
    }

    public static func write(_ buffer: UnsafeRawBufferPointer, to path: String, overwrite: OverwritePolicy = .refuse) throws {
        try write(to: path, overwrite: overwrite) { fd in
            try writeAll(fd: fd, buffer, path: path)
        }
    }

    /// Writes through `body`, which receives the temporary file's descriptor and may write in pieces.
    public static func write(to path: String, overwrite: OverwritePolicy = .refuse,
                             _ body: (Int32) throws -> Void) throws {
        try checkDestination(path, overwrite: overwrite)
        let temporary = try writeTemporary(for: path, body)
        try moveIntoPlace(temporary, path, overwrite: overwrite)
    }

    /// The suffix of every temporary file: `<destination>.tmp-XXXXXX` (mkstemp's six characters).
    /// `TemporaryFiles.removeStale` recognises exactly this shape.
    public static let temporarySuffix = ".tmp-"

    /// Refuses before anything is written: an existing file under `.refuse`, anything but a regular
    /// file under `.replace` (a rename over /dev/full would replace the device), a missing folder.
    static func checkDestination(_ path: String, overwrite: OverwritePolicy) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            if overwrite == .refuse { throw FileError.wouldOverwrite(path: path) }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR { throw FileError.isDirectory(path: path) }
            if kind != S_IFREG { throw FileError.notRegularFile(path: path, kind: fileKindName(mode: info.st_mode)) }
        }
        let directory = parentDirectory(of: path)
        if !directory.isEmpty && !isDirectory(directory) {
            let reason = fileExists(directory) ? "'\(directory)' is not a folder" : "folder '\(directory)' does not exist"
            throw FileError.unwritable(path: path, reason: reason)
        }
    }

    /// Creates `<path>.tmp-XXXXXX`, fills it through `body`, fsyncs it and returns its name; on any
    /// failure the temporary file is removed and the error names `path`.
    static func writeTemporary(for path: String, _ body: (Int32) throws -> Void) throws -> String {
        var template = Array((path + temporarySuffix + "XXXXXX").utf8CString)
        var fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileError.writeFailed(path: path, errno: errno) }
        let temporary = String(cString: template.map { UInt8(bitPattern: $0) })
        do {
            try body(fd)
            // mkstemp creates 0600; give the file the usual permissions (umask applies).
            let mask = umask(0); umask(mask)
            fchmod(fd, 0o666 & ~mask)
            guard fsync(fd) == 0 else { throw FileError.writeFailed(path: path, errno: errno) }
            let closed = close(fd)
            fd = -1
            guard closed == 0 else { throw FileError.writeFailed(path: path, errno: errno) }
        } catch {
            if fd >= 0 { close(fd) }
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// Gives the finished temporary file its name; the temporary file is gone afterwards either way.
    static func moveIntoPlace(_ temporary: String, _ path: String, overwrite: OverwritePolicy) throws {
        if overwrite == .refuse {
            // link() fails if the destination appeared meanwhile, so even a race cannot clobber it.
            if link(temporary, path) != 0 {
                let code = errno
                unlink(temporary)
                if code == EEXIST { throw FileError.wouldOverwrite(path: path) }
                throw FileError.unwritable(path: path, reason: String(cString: strerror(code)))
            }
            unlink(temporary)
        } else {
            // Checked again right before the rename: the destination may have changed since.
            var info = stat()
            if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
                unlink(temporary)
                throw FileError.notRegularFile(path: path, kind: fileKindName(mode: info.st_mode))
            }
            if rename(temporary, path) != 0 {
                let code = errno
                unlink(temporary)
                throw FileError.unwritable(path: path, reason: String(cString: strerror(code)))
            }
        }
    }

    static func writeAll(fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError.writeFailed(path: path, errno: errno)
            }
            offset += written
        }
    }
}

/// Writes every byte to a descriptor (a temporary file from `AtomicFile.write(to:_:)`, or the terminal),
/// retrying interrupted and partial writes; `path` names it in errors.
public func writeAll(fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
    try AtomicFile.writeAll(fd: fd, buffer, path: path)
}

public func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

public func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

public func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

/// Reads a whole (small) file, such as a JSON config.
public func readWholeFile(_ path: String) throws -> [UInt8] {
    let file = try MappedFile(path: path)
    return Array(file.bytes)
}
