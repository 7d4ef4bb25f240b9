// The picture output: new pictures are encoded off the caller's thread and written when ready, the
// newest only; a picture already encoded goes out at once, without encoding it again.

import Dispatch
import Explorer
import Foundation
import Imaging
import Testing

@Suite("Picture writer")
struct PictureWriterTests {
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var chunks: [[UInt8]] = []
        var writes: [[UInt8]] { lock.withLock { chunks } }
        func add(_ bytes: [UInt8]) { lock.withLock { chunks.append(bytes) } }
    }

    static let setup = GraphicsSetup(protocolInUse: .sixel, cellPixels: PixelSize(width: 8, height: 16), colorRegisters: 16)

    static func picture(_ seed: UInt8, imageID: Int = KittyGraphics.paneImageID) throws -> PlacedPicture {
        let image = try RGBImage(width: 24, height: 12, pixels: (0..<(24 * 12 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + Int(seed)) })
        return PlacedPicture(image: image, column: 2, row: 1, columns: 3, rows: 1, shown: PixelSize(width: 24, height: 12), imageID: imageID)
    }

    @Test("a new picture is written once encoded, at its cell, cursor saved and restored; shown again it is not re-encoded")
    func encodesThenReuses() throws {
        let sink = Sink(), queue = DispatchQueue(label: "test-encoder")
        let writer = PictureWriter(setup: Self.setup, queue: queue, write: sink.add)
        let a = try Self.picture(1)
        queue.suspend()
        writer.show([a])
        // The caller did not wait for the encoder: nothing is written until the queue runs.
        #expect(sink.writes.isEmpty)
        queue.resume()
        writer.waitUntilIdle()
        let expected = Array("\u{1B}7\u{1B}[2;3H".utf8) + SixelEncoder.encode(a.image, registers: 16, width: 24, height: 12) + Array("\u{1B}8".utf8)
        #expect(sink.writes == [expected])
        #expect(a.sequence(setup: Self.setup) == expected)
        // Curses drew over it: shown again, written at once from the cache, with the queue held.
        queue.suspend()
        writer.show([a])
        #expect(sink.writes == [expected, expected])
        queue.resume()
        writer.waitUntilIdle()
        #expect(writer.encodings == 1 && sink.writes.count == 2)
    }

    @Test("a picture superseded or cancelled while waiting for the encoder is never written")
    func onlyTheNewest() throws {
        let sink = Sink(), queue = DispatchQueue(label: "test-encoder")
        let writer = PictureWriter(setup: Self.setup, queue: queue, write: sink.add)
        let a = try Self.picture(1), b = try Self.picture(2)
        queue.suspend()
        writer.show([a])
        writer.show([b])
        queue.resume()
        writer.waitUntilIdle()
        #expect(sink.writes == [b.sequence(setup: Self.setup)])
        let c = try Self.picture(3)
        queue.suspend()
        writer.show([c])
        writer.cancel()
        queue.resume()
        writer.waitUntilIdle()
        #expect(sink.writes.count == 1)
    }

    @Test("a picture superseded or cancelled while it is being encoded is not written when its encoding ends")
    func supersededMidEncoding() throws {
        let sink = Sink()
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let writer = PictureWriter(setup: Self.setup, encode: { picture in
            started.signal()
            release.wait()
            return picture.sequence(setup: PictureWriterTests.setup)
        }, write: sink.add)
        let a = try Self.picture(1), b = try Self.picture(2)
        writer.show([a])
        started.wait()            // a is being encoded
        writer.show([b])
        release.signal()          // a's encoding ends: a is no longer wanted
        started.wait()            // b is being encoded
        release.signal()
        writer.waitUntilIdle()
        #expect(sink.writes == [b.sequence(setup: Self.setup)])
        let c = try Self.picture(3)
        writer.show([c])
        started.wait()
        writer.cancel()
        release.signal()
        writer.waitUntilIdle()
        #expect(sink.writes.count == 1)
    }

    @Test("several pictures of one frame: each encoded once and written, kitty ones under their own ids")
    func severalPictures() throws {
        let sink = Sink()
        let kitty = GraphicsSetup(protocolInUse: .kitty, cellPixels: PixelSize(width: 8, height: 16))
        let writer = PictureWriter(setup: kitty, write: sink.add)
        let pane = try Self.picture(1), strip = try Self.picture(2, imageID: 2)
        writer.show([pane, strip])
        writer.waitUntilIdle()
        #expect(Set(sink.writes) == Set([pane.sequence(setup: kitty), strip.sequence(setup: kitty)]))
        #expect(String(decoding: strip.sequence(setup: kitty), as: UTF8.self).contains("i=2,p=1"))
        writer.show([pane, strip])
        #expect(writer.encodings == 2 && sink.writes.count == 4)
    }
}
