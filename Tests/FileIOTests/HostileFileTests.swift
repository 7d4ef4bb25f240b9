// Non-regular files are refused without blocking, devices are never replaced, batches are all-or-nothing,
// and the temporary files a killed run leaves behind are found again.

import FileIO
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Hostile files")
struct HostileFileTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "maskscope-hostile-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test("a FIFO is refused at once instead of waiting for a writer")
    func fifoRefused() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = directory + "/pipe.png"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FileError.notRegularFile(path: fifo, kind: "FIFO (named pipe)")) { _ = try MappedFile(path: fifo) }
        #expect(throws: FileError.notRegularFile(path: "/dev/null", kind: "character device")) { _ = try MappedFile(path: "/dev/null") }
    }

    @Test("--overwrite never renames over a device, a FIFO or a folder")
    func onlyRegularFilesReplaced() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: FileError.notRegularFile(path: "/dev/null", kind: "character device")) {
            try AtomicFile.write([1, 2], to: "/dev/null", overwrite: .replace)
        }
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        let fifo = directory + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FileError.notRegularFile(path: fifo, kind: "FIFO (named pipe)")) { try AtomicFile.write([1], to: fifo, overwrite: .replace) }
        #expect(throws: FileError.isDirectory(path: directory)) { try AtomicFile.write([1], to: directory, overwrite: .replace) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["pipe"])
    }

    @Test("a batch lands whole or not at all, and leaves no temporary file")
    func batchAllOrNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var batch = FileBatch(overwrite: .refuse)
        batch.add([1], at: directory + "/a.png")
        batch.add([2], at: directory + "/b.json")
        try batch.commit()
        #expect(try readWholeFile(directory + "/b.json") == [2])
        // The second destination exists: nothing of the batch may appear.
        var clash = FileBatch(overwrite: .refuse)
        clash.add([3], at: directory + "/c.png")
        clash.add([4], at: directory + "/a.png")
        #expect(throws: FileError.wouldOverwrite(path: directory + "/a.png")) { try clash.commit() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.png", "b.json"])
        // A destination whose folder is missing fails before anything is written.
        var missing = FileBatch(overwrite: .replace)
        missing.add([5], at: directory + "/a.png")
        missing.add([6], at: directory + "/absent/d.png")
        #expect(throws: FileError.self) { try missing.commit() }
        #expect(try readWholeFile(directory + "/a.png") == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.png", "b.json"])
    }

    @Test("stale temporary files of the given outputs are removed, nothing else")
    func staleTemporaries() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let names = ["x.panoptic.png.tmp-a1B2c3", "x.panoptic.json.tmp-ZZZZZZ", "x.panoptic.png", "x.panoptic.png.tmp-short",
                     "y.panoptic.png.tmp-a1B2c3", "notes.txt.tmp-a1B2c3"]
        for name in names { FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1])) }
        let removed = TemporaryFiles.removeStale(for: [directory + "/x.panoptic.png", directory + "/x.panoptic.json"])
        #expect(removed == [directory + "/x.panoptic.json.tmp-ZZZZZZ", directory + "/x.panoptic.png.tmp-a1B2c3"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
                == ["notes.txt.tmp-a1B2c3", "x.panoptic.png", "x.panoptic.png.tmp-short", "y.panoptic.png.tmp-a1B2c3"])
    }

    @Test("folders: created with parents; a file in the way is named")
    func directories() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Directories.create(directory + "/a/b/c")
        #expect(isDirectory(directory + "/a/b/c"))
        FileManager.default.createFile(atPath: directory + "/file", contents: Data([1]))
        #expect(throws: FileError.unwritable(path: directory + "/file", reason: "it exists and is a regular file, not a folder")) {
            try Directories.create(directory + "/file/sub")
        }
        #expect(throws: FileError.unwritable(path: "/dev/null", reason: "it exists and is a character device, not a folder")) {
            try Directories.create("/dev/null")
        }
    }
}
