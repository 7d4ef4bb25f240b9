// The errors view's false negatives: ground-truth segments no prediction matched, hatched and
// outlined over the TP/FP tint at pane resolution (where a one-pixel line is what a person sees).

import Imaging
import Segmentation

extension ImagePane {
    func hatchMissed(_ picture: inout RGBImage, visible: PixelRectangle) {
        guard let missed = document.errors?.missedRows else { return }
        let width = picture.width, height = picture.height
        let columns = visible.columns(width), rows = visible.rows(height)
        var values = [Int32](repeating: -1, count: width * height)
        for y in 0..<height { for x in 0..<width { values[y * width + x] = missed.values[rows[y] * missed.width + columns[x]] } }
        let selected = state.view == .errors ? Int32(state.selection) : -2
        let selection = theme.ui["selection"] ?? theme.boundary
        for y in 0..<height {
            for x in 0..<width {
                let v = values[y * width + x]
                guard v >= 0, !(state.onlySelected && v != selected) else { continue }
                let edge = (x + 1 < width && values[y * width + x + 1] != v) || (y + 1 < height && values[(y + 1) * width + x] != v)
                    || (x > 0 && values[y * width + x - 1] != v) || (y > 0 && values[(y - 1) * width + x] != v)
                // Diagonal hatching every fourth pixel, the outline solid.
                if edge || (x + y) % 4 == 0 { picture[x, y] = v == selected ? selection : ErrorsPanel.falseNegative }
            }
        }
    }
}
