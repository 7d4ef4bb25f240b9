// Nearest colours in the xterm 256-colour palette: the 6×6×6 cube (16…231) and the grey ramp
// (232…255), never 0…15, which users theme. Nearest is by squared distance in a "redmean" weighted
// RGB space (a cheap perceptual metric) over every entry — not the `/43` bucketing the notes warn about.

import Imaging

public enum ColorQuantizer {
    /// The cube's channel levels.
    static let levels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of palette entry 16…255.
    public static func color(ofIndex index: Int) -> RGBColor {
        precondition((16...255).contains(index), "only the cube and grey ramp are used")
        if index >= 232 {
            let v = UInt8(8 + 10 * (index - 232))
            return RGBColor(r: v, g: v, b: v)
        }
        let i = index - 16
        return RGBColor(r: UInt8(levels[i / 36]), g: UInt8(levels[(i / 6) % 6]), b: UInt8(levels[i % 6]))
    }

    /// Weighted distance: red and blue weights follow the mean red, as in the "redmean" formula.
    static func distance(_ a: RGBColor, _ b: RGBColor) -> Int {
        let rMean = (Int(a.r) + Int(b.r)) / 2
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        return ((512 + rMean) * dr * dr >> 8) + 4 * dg * dg + ((767 - rMean) * db * db >> 8)
    }

    /// Entries 16…255 with their colours, for the search.
    static let palette: [(index: Int, color: RGBColor)] = (16...255).map { ($0, color(ofIndex: $0)) }

    /// The nearest of entries 16…255 to `target`: an exhaustive search (240 distances), since pruning
    /// by per-channel nearest levels misses the true nearest under a weighted metric (a test checks
    /// this against brute force). Callers cache per frame; frames repeat colours heavily.
    public static func nearest256(_ target: RGBColor) -> Int {
        var best = 16, bestDistance = Int.max
        for entry in palette {
            let d = distance(entry.color, target)
            if d < bestDistance { bestDistance = d; best = entry.index }
        }
        return best
    }
}
