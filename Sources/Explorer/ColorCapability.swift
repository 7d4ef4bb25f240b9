// How many colours the terminal can show, decided once from the environment (the explorer's only
// place that reads COLORTERM / TERM / NO_COLOR): Docs/ARCHITECTURE.md, "Terminal".

public enum ColorCapability: String, Sendable, CaseIterable {
    case trueColor = "24-bit"
    case palette256 = "256"
    case palette16 = "16"
    case palette8 = "8"

    /// COLORTERM=truecolor|24bit or a `*-direct` terminfo name → 24-bit; `*-256color` → 256;
    /// `*-16color` → 16; anything else that has colour → 8.
    public static func detect(environment: [String: String], terminfoColors: Int? = nil) -> ColorCapability {
        let colorterm = environment["COLORTERM"]?.lowercased() ?? ""
        let term = environment["TERM"]?.lowercased() ?? ""
        if colorterm == "truecolor" || colorterm == "24bit" || term.hasSuffix("-direct") { return .trueColor }
        if let colors = terminfoColors {
            if colors >= 1 << 24 { return .trueColor }
            if colors >= 256 { return .palette256 }
            if colors >= 16 { return .palette16 }
            return .palette8
        }
        if term.contains("256color") { return .palette256 }
        if term.contains("16color") { return .palette16 }
        return .palette8
    }

    /// NO_COLOR (https://no-color.org) set to anything non-empty: the chrome stays in default colours.
    public static func chromeWithoutColor(environment: [String: String]) -> Bool {
        !(environment["NO_COLOR"] ?? "").isEmpty
    }
}
