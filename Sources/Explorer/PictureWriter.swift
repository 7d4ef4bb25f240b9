// Puts a frame's pixel pictures on the terminal without making a key press wait for the encoder.
// A picture already encoded (the same one again after curses drew over it, or one met before) is
// written at once; a new one is encoded on a background queue and written when it is ready, while
// the previous picture stays on screen — curses keeps the picture cells blank and never repaints
// them unless they change. Only the newest wanted pictures are ever written: a picture superseded
// while it was being encoded is cached but not drawn. Every byte to the terminal, curses' included,
// goes out under one lock, so a picture never lands in the middle of a curses update.
// (bench --redraw --graphics sixel: a key press costs the compose alone; the encode figure is how
// long after it the picture appears.)

import Foundation

public final class PictureWriter: @unchecked Sendable {
    private let setup: GraphicsSetup
    private let write: ([UInt8]) -> Void
    private let encode: @Sendable (PlacedPicture) -> [UInt8]
    private let queue: DispatchQueue
    private let lock = NSLock()
    /// Pictures asked for by the last `show` and not yet written.
    private var unwritten: [PlacedPicture] = []
    /// The latest encodings, newest last: what a repaint or a step back to an earlier state reuses.
    private var encoded: [(picture: PlacedPicture, bytes: [UInt8])] = []
    static let encodedKept = 8
    private var encodingsDone = 0
    /// Encodings done (tests: a repaint encodes nothing).
    public var encodings: Int { lock.withLock { encodingsDone } }

    /// `write` gets the bytes to send, always under the output lock. `queue`: a serial queue the
    /// encoder runs on (tests pass a suspended one to hold encodings back); `encode`: the picture's
    /// bytes (tests hold one back mid-encoding).
    public init(setup: GraphicsSetup, queue: DispatchQueue = DispatchQueue(label: "maskscope.picture-encoder", qos: .userInteractive),
                encode: (@Sendable (PlacedPicture) -> [UInt8])? = nil, write: @escaping ([UInt8]) -> Void) {
        self.setup = setup
        self.queue = queue
        self.encode = encode ?? { $0.sequence(setup: setup) }
        self.write = write
    }

    /// Runs `body` (curses' doupdate, the cell writer) with no picture being written meanwhile.
    public func withOutputLock<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }

    /// Draws `pictures`: the encoded ones now, the others when their encoding is done (unless a later
    /// `show` or `cancel` no longer wants them). Returns without waiting for the encoder.
    public func show(_ pictures: [PlacedPicture]) {
        let missing: [PlacedPicture] = lock.withLock {
            var missing: [PlacedPicture] = []
            for picture in pictures {
                if let bytes = cachedBytes(picture) { write(bytes) } else { missing.append(picture) }
            }
            unwritten = missing
            return missing
        }
        guard !missing.isEmpty else { return }
        queue.async { [self] in encodeUnwritten() }
    }

    /// Nothing asked for is drawn any more (the picture is taken off the screen, or the program ends).
    public func cancel() {
        lock.withLock { unwritten = [] }
    }

    /// Blocks until every encoding asked for so far is done and written (tests, bench).
    public func waitUntilIdle() {
        queue.sync {}
    }

    private func encodeUnwritten() {
        while true {
            // One picture at a time, re-reading what is wanted: a newer `show` may have replaced it.
            let next: PlacedPicture? = lock.withLock { unwritten.first { cachedBytes($0) == nil } ?? unwritten.first }
            guard let picture = next else { return }
            let bytes = lock.withLock { cachedBytes(picture) } ?? encode(picture)
            lock.withLock {
                if cachedBytes(picture) == nil {
                    encodingsDone += 1
                    encoded.append((picture, bytes))
                    if encoded.count > Self.encodedKept { encoded.removeFirst() }
                }
                if let index = unwritten.firstIndex(where: { $0.isSame(as: picture) }) {
                    write(bytes)
                    unwritten.remove(at: index)
                }
            }
        }
    }

    /// Under the lock.
    private func cachedBytes(_ picture: PlacedPicture) -> [UInt8]? {
        encoded.last { $0.picture.isSame(as: picture) }?.bytes
    }
}
