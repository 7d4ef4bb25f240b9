// Swin's window bookkeeping: pad to whole windows, cyclic shift, partition into windows and back,
// and the −100 mask that keeps shifted windows from mixing regions (Docs/ARCHITECTURE.md, "Parity notes").

import TensorCore

/// The padded, shifted window grid of one stage at one input size.
struct WindowGrid: Sendable {
    let height: Int, width: Int          // the stage's token grid
    let windowSize: Int
    let shift: Int
    let paddedHeight: Int, paddedWidth: Int
    var windowsDown: Int { paddedHeight / windowSize }
    var windowsAcross: Int { paddedWidth / windowSize }
    var windowCount: Int { windowsDown * windowsAcross }
    var tokensPerWindow: Int { windowSize * windowSize }

    init(height: Int, width: Int, windowSize: Int, shift: Int) {
        self.height = height; self.width = width; self.windowSize = windowSize; self.shift = shift
        paddedHeight = (height + windowSize - 1) / windowSize * windowSize
        paddedWidth = (width + windowSize - 1) / windowSize * windowSize
    }

    /// For each windowed token (window-major, row-major inside), the source token index in the
    /// un-padded grid, or −1 for a padding token. The shift rolls by −shift: windowed position
    /// (i, j) reads padded position ((i + shift) mod Hp, (j + shift) mod Wp).
    func sourceIndices() -> [Int32] {
        var indices = [Int32](repeating: -1, count: windowCount * tokensPerWindow)
        for wy in 0..<windowsDown {
            for wx in 0..<windowsAcross {
                let window = wy * windowsAcross + wx
                for r in 0..<windowSize {
                    for c in 0..<windowSize {
                        let y = (wy * windowSize + r + shift) % paddedHeight
                        let x = (wx * windowSize + c + shift) % paddedWidth
                        if y < height && x < width {
                            indices[window * tokensPerWindow + r * windowSize + c] = Int32(y * width + x)
                        }
                    }
                }
            }
        }
        return indices
    }

    /// The additive shift mask `[windows, T, T]` (0 within a region, −100 across), or nil when unshifted.
    /// Regions are computed on the padded grid in window coordinates, as transformers does.
    func shiftMask() -> [Float]? {
        guard shift > 0 else { return nil }
        func region(_ i: Int, _ size: Int) -> Int {
            i < size - windowSize ? 0 : (i < size - shift ? 1 : 2)
        }
        let t = tokensPerWindow
        var mask = [Float](repeating: 0, count: windowCount * t * t)
        var ids = [Int](repeating: 0, count: t)
        for wy in 0..<windowsDown {
            for wx in 0..<windowsAcross {
                let window = wy * windowsAcross + wx
                for r in 0..<windowSize {
                    for c in 0..<windowSize {
                        ids[r * windowSize + c] = 3 * region(wy * windowSize + r, paddedHeight) + region(wx * windowSize + c, paddedWidth)
                    }
                }
                for a in 0..<t {
                    for b in 0..<t where ids[a] != ids[b] { mask[(window * t + a) * t + b] = -100 }
                }
            }
        }
        return mask
    }
}
