// A set of files that appear together or not at all: one image's results are either all there or
// none of them is, so an interrupted or failing run never leaves an image half written.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects encoded files in memory, then `commit()` writes every one to a temporary file beside its
/// destination and only when all of them are on disk moves them into place.
public struct FileBatch {
    public private(set) var files: [(path: String, bytes: [UInt8])] = []
    public let overwrite: OverwritePolicy

    public init(overwrite: OverwritePolicy) { self.overwrite = overwrite }

    public var paths: [String] { files.map(\.path) }

    public mutating func add(_ bytes: [UInt8], at path: String) { files.append((path, bytes)) }

    /// All files in place, or (after an error) none of the new ones and no temporary file left behind.
    /// Under `.replace` a file that existed before is replaced only once every temporary file is written.
    public func commit() throws {
        for file in files { try AtomicFile.checkDestination(file.path, overwrite: overwrite) }
        var temporaries: [String] = []
        do {
            for file in files {
                temporaries.append(try AtomicFile.writeTemporary(for: file.path) { fd in
                    try file.bytes.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: file.path) }
                })
            }
        } catch {
            for temporary in temporaries { unlink(temporary) }
            throw error
        }
        var placed: [String] = []
        for (index, file) in files.enumerated() {
            do {
                try AtomicFile.moveIntoPlace(temporaries[index], file.path, overwrite: overwrite)
                placed.append(file.path)
            } catch {
                for temporary in temporaries[(index + 1)...] { unlink(temporary) }
                // Under .refuse the files placed so far are new: removing them restores the folder.
                if overwrite == .refuse { for path in placed { unlink(path) } }
                throw error
            }
        }
    }
}

extension FileBatch {
    /// Fails before any work is done when a destination may not be written (see `AtomicFile`), so a
    /// long computation is not wasted on results that could not be saved.
    public static func checkDestinations(_ paths: [String], overwrite: OverwritePolicy) throws {
        for path in paths { try AtomicFile.checkDestination(path, overwrite: overwrite) }
    }
}
