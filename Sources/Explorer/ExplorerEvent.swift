// Input the explorer reacts to, decoded from the terminal by the backend.

public enum ExplorerKey: Sendable, Equatable {
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
    /// Open the queries view on this row (Enter on an error with a responsible query).
    case showQuery(row: Int)
    /// Mouse wheel over the image: zoom by `factor` around the image point at fractions (x, y).
    case zoom(factor: Double, x: Double, y: Double)
}
