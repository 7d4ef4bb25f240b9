// The last pixel picture (or pictures: the filmstrip's) the composer rendered, by what it depends on. The explore loop composes a
// frame every 50 ms while it waits for keys; with a pixel protocol the pane would be rendered again
// each time, so an idle explorer would keep a core busy. The same state, document and size give the
// same picture, so it is returned as is (same storage: the terminal's comparison is instant too).

import Foundation

public final class PictureCache<Picture>: @unchecked Sendable {
    struct Key: Equatable {
        var state: ExplorerState
        var document: String
        var width: Int
        var height: Int
    }

    private let lock = NSLock()
    private var key: Key?
    private var picture: Picture?
    /// How many pictures were rendered (tests: an idle explorer renders none).
    public private(set) var renders = 0

    public init() {}

    func picture(state: ExplorerState, document: String, width: Int, height: Int, render: () -> Picture) -> Picture {
        // Fields that only move the list or the status line do not change the picture.
        var state = state
        state.listCount = 0
        state.quitRequested = false
        let wanted = Key(state: state, document: document, width: width, height: height)
        lock.lock()
        if key == wanted, let picture { lock.unlock(); return picture }
        lock.unlock()
        let made = render()
        lock.lock()
        key = wanted; picture = made; renders += 1
        lock.unlock()
        return made
    }
}
