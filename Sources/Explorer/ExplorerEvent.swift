// Input the explorer reacts to: keys (looked up in KeyBindings), and what the loop learned from the
// terminal or the worker, already in the image's terms.

public enum ExplorerKey: Sendable, Hashable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end, enter, escape, tab
}

public enum ExplorerEvent: Sendable, Equatable {
    case key(ExplorerKey)
    /// The list beside the image changed length (new results, another view).
    case listChanged(count: Int)
    /// A new image's results arrived: how many predictions they hold.
    case resultsLoaded(layerCount: Int)
    /// A click on the row of the list (the composer maps pane clicks to the segment underneath).
    case select(row: Int)
    /// A click on the picture at image pixel (x, y): selects the segment or query there.
    case click(x: Int, y: Int)
    /// Open the queries view on this row (Enter on an error with a responsible query), at `layer` (nil: final).
    case showQuery(row: Int, layer: Int? = nil)
    /// Mouse wheel over the image: zoom by `factor` around the image point at fractions (x, y).
    case zoom(factor: Double, x: Double, y: Double)
    /// PQ of each image evaluated so far (the worst-first order of n/p).
    case imageScores([Int: Double])
}
