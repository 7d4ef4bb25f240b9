// The explorer's view state: a plain value that the reducer changes and the composer draws.
// Nothing here touches a terminal, so unit tests drive it directly.

import Segmentation

/// What the image pane shows.
public enum ExplorerView: String, Sendable, CaseIterable {
    case image, panoptic, semantic, instance, queries, truth, errors, layers

    /// Status-line name.
    public var title: String {
        switch self {
        case .image: return "image"
        case .panoptic: return "panoptic"
        case .semantic: return "semantic"
        case .instance: return "instance"
        case .queries: return "queries"
        case .truth: return "ground truth"
        case .errors: return "errors"
        case .layers: return "layers"
        }
    }
}

/// A table over the images evaluated so far, drawn over the picture.
public enum ExplorerTable: Sendable, Equatable {
    case perClass, confusion
}

public struct ExplorerState: Sendable, Equatable {
    public var view: ExplorerView = .panoptic
    /// Row selected in the list beside the image (segments, instances or queries, by view).
    public var selection = 0
    /// How many rows that list has (set by the composer from the current results).
    public var listCount = 0
    /// Decoder prediction shown for the selected query: 0 (learned query features) … layerCount − 1.
    /// nil shows the final result.
    public var layer: Int?
    /// Number of predictions (decoder layers + 1).
    public var layerCount = 10
    /// Show the selected layer's cross-attention weights instead of its mask probability.
    public var showCrossAttention = false
    public var opacity: Float = 0.55
    public var showBoundaries = true
    public var onlySelected = false
    /// Zoom and pan of the image pane.
    public var viewport = Viewport()
    public var showDetails = false
    public var showHelp = false
    public var imageIndex = 0
    public var imageCount = 1
    public var quitRequested = false
    /// The thresholds the results are post-processed with (t/T, m/M, o/O change them live).
    public var options = PostProcessingOptions()
    /// Column of the layer grid (view 8): the decoder prediction 0 … layerCount − 1.
    public var gridLayer = 9
    public var table: ExplorerTable?
    /// n/p walk the images worst PQ first (among those evaluated) instead of in file order.
    public var worstFirst = false
    /// PQ of each image evaluated so far, by image index.
    public var imageScores: [Int: Double] = [:]
    /// `e` was pressed: the loop writes the export and clears this.
    public var exportRequested = false

    public init() {}

    /// The prediction index the pane shows for the selected query.
    public var shownLayer: Int { layer ?? (layerCount - 1) }

    /// The images in the order n/p walk them: file order, or the evaluated ones worst PQ first and
    /// the others after them in file order.
    public var imageOrder: [Int] {
        let all = Array(0..<imageCount)
        guard worstFirst else { return all }
        let scored = all.filter { imageScores[$0] != nil }.sorted { (imageScores[$0]!, $0) < (imageScores[$1]!, $1) }
        return scored + all.filter { imageScores[$0] == nil }
    }
}
