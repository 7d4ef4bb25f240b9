// (state, event) → state: every interaction of the explorer as a pure function.

public enum ExplorerReducer {
    public static func reduce(_ state: ExplorerState, _ event: ExplorerEvent) -> ExplorerState {
        var s = state
        switch event {
        case .listChanged(let count):
            s.listCount = max(0, count)
            s.selection = min(s.selection, max(0, s.listCount - 1))
        case .resultsLoaded(let layerCount):
            s.layerCount = max(1, layerCount)
            if let layer = s.layer { s.layer = layer >= s.layerCount - 1 ? nil : layer }
        case .select(let row):
            if row >= 0 && row < s.listCount { s.selection = row }
        case .showQuery(let row):
            // From the errors view to the query responsible; the next listChanged clamps the row.
            switchView(&s, to: .queries)
            s.selection = max(0, row)
            s.layer = nil
        case .zoom(let factor, let x, let y):
            s.viewport.zoom(by: factor, aroundX: x, y: y)
        case .key(let key):
            reduce(&s, key: key)
        }
        return s
    }

    static func reduce(_ s: inout ExplorerState, key: ExplorerKey) {
        // Overlays take Esc (and help any key) before anything else.
        if s.showHelp { s.showHelp = false; return }
        if s.showDetails && (key == .escape || key == .enter) { s.showDetails = false; return }
        let page = 10
        switch key {
        case .up: s.selection = max(0, s.selection - 1)
        case .down: s.selection = min(max(0, s.listCount - 1), s.selection + 1)
        case .pageUp: s.selection = max(0, s.selection - page)
        case .pageDown: s.selection = min(max(0, s.listCount - 1), s.selection + page)
        case .home: s.selection = 0
        case .end: s.selection = max(0, s.listCount - 1)
        case .enter: if s.listCount > 0 { s.showDetails = true }
        case .escape: s.quitRequested = true
        case .tab: switchView(&s, to: ExplorerView.allCases[(ExplorerView.allCases.firstIndex(of: s.view)! + 1) % ExplorerView.allCases.count])
        case .left, .right: break
        case .character(let c):
            switch c {
            case "q": s.quitRequested = true
            case "1", "2", "3", "4", "5", "6", "7":
                switchView(&s, to: ExplorerView.allCases[Int(String(c))! - 1])
            case "[": s.layer = max(0, s.shownLayer - 1)
            case "]": s.layer = s.shownLayer + 1 >= s.layerCount - 1 ? nil : s.shownLayer + 1   // the last layer is the final result
            case "a": s.showCrossAttention.toggle()
            case "+", "=": s.opacity = min(1, s.opacity + 0.1)
            case "-": s.opacity = max(0, s.opacity - 0.1)
            case "b": s.showBoundaries.toggle()
            case "f": s.onlySelected.toggle()
            case "n": if s.imageIndex + 1 < s.imageCount { s.imageIndex += 1; resetForNewImage(&s) }
            case "p": if s.imageIndex > 0 { s.imageIndex -= 1; resetForNewImage(&s) }
            case "z": s.viewport.zoom(by: 2)
            case "Z": s.viewport.zoom(by: 0.5)
            case "0": s.viewport = Viewport()
            // Pan by a quarter of what is visible (vi directions).
            case "h": s.viewport.pan(x: -0.25, y: 0)
            case "l": s.viewport.pan(x: 0.25, y: 0)
            case "k": s.viewport.pan(x: 0, y: -0.25)
            case "j": s.viewport.pan(x: 0, y: 0.25)
            case "?": s.showHelp = true
            default: break
            }
        }
    }

    static func switchView(_ s: inout ExplorerState, to view: ExplorerView) {
        guard view != s.view else { return }
        s.view = view
        s.selection = 0
        s.showDetails = false
    }

    static func resetForNewImage(_ s: inout ExplorerState) {
        s.selection = 0
        s.viewport = Viewport()
        s.layer = nil
        s.showDetails = false
    }
}
