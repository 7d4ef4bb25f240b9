// Every key binding, in one table: key → action → help text. The reducer looks keys up here and the
// help overlay prints it, so a key cannot do one thing and be documented as another.

/// What a key asks for; the reducer carries it out.
public enum ExplorerAction: Sendable, Equatable {
    case up, down, pageUp, pageDown, first, last
    /// Columns of the layer grid (view 8).
    case left, right
    /// Enter: the errors view's or the layer grid's jump to a query, else the details box.
    case activate
    case escape, quit, help
    case nextView
    case show(ExplorerView)
    case previousLayer, nextLayer, crossAttention
    case moreOpacity, lessOpacity, boundaries, onlySelected
    case nextImage, previousImage
    /// n/p walk the images in file order or worst PQ first.
    case imageOrder
    case zoomIn, zoomOut, wholeImage
    case pan(x: Double, y: Double)
    case export
    /// Steps a post-processing threshold by `by`, clamped to 0…1.
    case threshold(PostProcessingKnob, by: Double)
    case classTable, confusionMatrix
}

/// The three thresholds the explorer changes live.
public enum PostProcessingKnob: String, Sendable, Equatable {
    case score, mask, overlap
}

public struct KeyBinding: Sendable {
    /// How the help overlay names the keys ("[ ]").
    public var keys: String
    public var help: String
    /// The keys themselves and what each does (empty for the mouse).
    public var actions: [(key: ExplorerKey, action: ExplorerAction)]
}

public enum KeyBindings {
    static let thresholdStep = 0.05

    public static let all: [KeyBinding] = [
        KeyBinding(keys: "1 2 3 4 5", help: "view: image, panoptic, semantic, instance, queries (Tab cycles)",
                   actions: [(.character("1"), .show(.image)), (.character("2"), .show(.panoptic)), (.character("3"), .show(.semantic)),
                             (.character("4"), .show(.instance)), (.character("5"), .show(.queries)), (.tab, .nextView)]),
        KeyBinding(keys: "6 7", help: "view: ground truth, errors (TP/FP/FN against --panoptic-json)",
                   actions: [(.character("6"), .show(.truth)), (.character("7"), .show(.errors))]),
        KeyBinding(keys: "8", help: "view: every query × every decoder layer (← → ↑ ↓ move, Enter opens it)",
                   actions: [(.character("8"), .show(.layers))]),
        KeyBinding(keys: "Enter in 7 and 8", help: "jump to the query (FP/FN responsible; the grid's query and layer)", actions: []),
        KeyBinding(keys: "↑ ↓ PgUp PgDn Home End", help: "move the selection",
                   actions: [(.up, .up), (.down, .down), (.pageUp, .pageUp), (.pageDown, .pageDown), (.home, .first), (.end, .last),
                             (.left, .left), (.right, .right)]),
        KeyBinding(keys: "Enter", help: "details of the selected segment or query", actions: [(.enter, .activate)]),
        KeyBinding(keys: "[ ]", help: "previous / next decoder layer of the selected query (layer 0 = learned queries)",
                   actions: [(.character("["), .previousLayer), (.character("]"), .nextLayer)]),
        KeyBinding(keys: "a", help: "cross-attention weights of that layer instead of its mask", actions: [(.character("a"), .crossAttention)]),
        KeyBinding(keys: "t T", help: "score threshold down / up (results, fates and errors recomputed)",
                   actions: [(.character("t"), .threshold(.score, by: -thresholdStep)), (.character("T"), .threshold(.score, by: thresholdStep))]),
        KeyBinding(keys: "m M", help: "mask threshold down / up",
                   actions: [(.character("m"), .threshold(.mask, by: -thresholdStep)), (.character("M"), .threshold(.mask, by: thresholdStep))]),
        KeyBinding(keys: "o O", help: "overlap threshold down / up",
                   actions: [(.character("o"), .threshold(.overlap, by: -thresholdStep)), (.character("O"), .threshold(.overlap, by: thresholdStep))]),
        KeyBinding(keys: "+ - =", help: "overlay opacity up / down (= is + without shift)",
                   actions: [(.character("+"), .moreOpacity), (.character("="), .moreOpacity), (.character("-"), .lessOpacity)]),
        KeyBinding(keys: "b", help: "boundaries on/off", actions: [(.character("b"), .boundaries)]),
        KeyBinding(keys: "f", help: "show only the selected segment", actions: [(.character("f"), .onlySelected)]),
        KeyBinding(keys: "z Z 0, wheel", help: "zoom in / out / whole image (the wheel zooms at the pointer)",
                   actions: [(.character("z"), .zoomIn), (.character("Z"), .zoomOut), (.character("0"), .wholeImage)]),
        KeyBinding(keys: "h j k l", help: "pan left / down / up / right when zoomed",
                   // A quarter of what is visible (vi directions).
                   actions: [(.character("h"), .pan(x: -0.25, y: 0)), (.character("j"), .pan(x: 0, y: 0.25)),
                             (.character("k"), .pan(x: 0, y: -0.25)), (.character("l"), .pan(x: 0.25, y: 0))]),
        KeyBinding(keys: "click", help: "select the segment or query under the pointer", actions: []),
        KeyBinding(keys: "n p", help: "next / previous image",
                   actions: [(.character("n"), .nextImage), (.character("p"), .previousImage)]),
        KeyBinding(keys: "w", help: "n/p order: file order ↔ worst PQ first (images evaluated so far)",
                   actions: [(.character("w"), .imageOrder)]),
        KeyBinding(keys: "c", help: "per-class PQ, SQ, RQ, TP/FP/FN over the images evaluated so far",
                   actions: [(.character("c"), .classTable)]),
        KeyBinding(keys: "x", help: "semantic confusion matrix over the images evaluated so far",
                   actions: [(.character("x"), .confusionMatrix)]),
        KeyBinding(keys: "e", help: "export what is shown as PNG (+ the thresholds, JSON)", actions: [(.character("e"), .export)]),
        KeyBinding(keys: "?", help: "this help", actions: [(.character("?"), .help)]),
        KeyBinding(keys: "q Esc", help: "quit (Esc closes help, tables or details first)",
                   actions: [(.character("q"), .quit), (.escape, .escape)]),
    ]

    /// What `key` does, or nil for a key with no binding.
    public static func action(for key: ExplorerKey) -> ExplorerAction? { actionOfKey[key] }

    private static let actionOfKey: [ExplorerKey: ExplorerAction] = {
        var table: [ExplorerKey: ExplorerAction] = [:]
        for binding in all { for (key, action) in binding.actions where table[key] == nil { table[key] = action } }
        return table
    }()
}
