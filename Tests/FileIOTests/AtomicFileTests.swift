// Writes are atomic and never replace a user's file unless asked.

import FileIO
import Foundation
import Testing

@Suite("Atomic writes")
struct AtomicFileTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "maskscope-fileio-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test("refuses to overwrite by default, replaces when asked, leaves no temporary files")
    func overwritePolicy() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(throws: FileError.wouldOverwrite(path: path)) { try AtomicFile.write([9], to: path) }
        #expect(try readWholeFile(path) == [1, 2, 3])
        try AtomicFile.write([4, 5], to: path, overwrite: .replace)
        #expect(try readWholeFile(path) == [4, 5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.bin"])
    }

    @Test("a failing writer leaves the old file untouched and removes its temporary file")
    func failedWrite() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/keep.txt"
        try AtomicFile.write(Array("old".utf8), to: path)
        #expect(throws: FileError.self) {
            try AtomicFile.write(to: path, overwrite: .replace) { _ in throw FileError.unwritable(path: path, reason: "test") }
        }
        #expect(try readWholeFile(path) == Array("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["keep.txt"])
    }

    @Test("errors name the path")
    func errors() {
        #expect(throws: FileError.notFound(path: directory + "/absent")) { _ = try MappedFile(path: directory + "/absent") }
        #expect(throws: FileError.self) { try AtomicFile.write([1], to: directory + "/no/such/dir/file") }
    }
}
