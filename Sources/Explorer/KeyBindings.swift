// Every key binding, in one table: the reducer reads it and the help overlay prints it.

public struct KeyBinding: Sendable {
    public var keys: String
    public var action: String
}

public enum KeyBindings {
    public static let all: [KeyBinding] = [
        KeyBinding(keys: "1 2 3 4 5", action: "view: image, panoptic, semantic, instance, queries (Tab cycles)"),
        KeyBinding(keys: "6 7", action: "view: ground truth, errors (TP/FP/FN against --panoptic-json)"),
        KeyBinding(keys: "Enter in errors", action: "jump to the query responsible for an FP or FN"),
        KeyBinding(keys: "↑ ↓ PgUp PgDn Home End", action: "move the selection"),
        KeyBinding(keys: "Enter", action: "details of the selected segment or query"),
        KeyBinding(keys: "[ ]", action: "previous / next decoder layer of the selected query (layer 0 = learned queries)"),
        KeyBinding(keys: "a", action: "cross-attention weights of that layer instead of its mask"),
        KeyBinding(keys: "+ -", action: "overlay opacity"),
        KeyBinding(keys: "b", action: "boundaries on/off"),
        KeyBinding(keys: "f", action: "show only the selected segment"),
        KeyBinding(keys: "z Z 0, wheel", action: "zoom in / out / whole image (the wheel zooms at the pointer)"),
        KeyBinding(keys: "h j k l", action: "pan left / down / up / right when zoomed"),
        KeyBinding(keys: "n p", action: "next / previous image"),
        KeyBinding(keys: "e", action: "export the current view as PNG"),
        KeyBinding(keys: "?", action: "this help"),
        KeyBinding(keys: "q Esc", action: "quit (Esc closes help or details first)"),
    ]
}
