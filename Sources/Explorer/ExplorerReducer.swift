// (state, event) → state: every interaction of the explorer as a pure function. Keys become actions
// through KeyBindings; the document (when one is loaded) is read, never changed, for what depends on
// the results (Enter's jumps, clicks).

public enum ExplorerReducer {
    public static func reduce(_ state: ExplorerState, _ event: ExplorerEvent, document: ExplorerDocument? = nil) -> ExplorerState {
        var s = state
        switch event {
        case .listChanged(let count):
            s.listCount = max(0, count)
            s.selection = min(s.selection, max(0, s.listCount - 1))
        case .resultsLoaded(let layerCount):
            s.layerCount = max(1, layerCount)
            if let layer = s.layer { s.layer = layer >= s.layerCount - 1 ? nil : layer }
            s.gridLayer = min(s.gridLayer, s.layerCount - 1)
        case .select(let row):
            if row >= 0 && row < s.listCount { s.selection = row }
        case .click(let x, let y):
            if let document, let row = document.row(atX: x, y: y, view: s.view), row < s.listCount { s.selection = row }
        case .showQuery(let row, let layer):
            // To the queries view from an error or the layer grid; the next listChanged clamps the row.
            switchView(&s, to: .queries)
            s.selection = max(0, row)
            s.layer = layer.map { $0 >= s.layerCount - 1 ? nil : max(0, $0) } ?? nil
        case .zoom(let factor, let x, let y):
            s.viewport.zoom(by: factor, aroundX: x, y: y)
        case .imageScores(let scores):
            s.imageScores = scores
        case .key(let key):
            // Overlays take the key before anything else: help any key, tables and details Esc/Enter.
            if s.showHelp { s.showHelp = false; return s }
            if s.table != nil && (key == .escape || key == .enter) { s.table = nil; return s }
            if s.showDetails && (key == .escape || key == .enter) { s.showDetails = false; return s }
            guard let action = KeyBindings.action(for: key) else { return s }
            perform(action, on: &s, document: document)
        }
        return s
    }

    static func perform(_ action: ExplorerAction, on s: inout ExplorerState, document: ExplorerDocument?) {
        let page = 10, last = max(0, s.listCount - 1)
        switch action {
        case .up: s.selection = max(0, s.selection - 1)
        case .down: s.selection = min(last, s.selection + 1)
        case .pageUp: s.selection = max(0, s.selection - page)
        case .pageDown: s.selection = min(last, s.selection + page)
        case .first: s.selection = 0
        case .last: s.selection = last
        case .left: if s.view == .layers { s.gridLayer = max(0, s.gridLayer - 1) }
        case .right: if s.view == .layers { s.gridLayer = min(s.layerCount - 1, s.gridLayer + 1) }
        case .activate:
            if let document, let jump = document.enterEvent(state: s) { s = reduce(s, jump) }
            else if s.view != .layers && s.view != .errors && s.listCount > 0 { s.showDetails = true }
        case .escape, .quit: s.quitRequested = true
        case .help: s.showHelp = true
        case .nextView:
            let views = ExplorerView.allCases
            switchView(&s, to: views[(views.firstIndex(of: s.view)! + 1) % views.count])
        case .show(let view): switchView(&s, to: view)
        case .previousLayer: s.layer = max(0, s.shownLayer - 1)
        case .nextLayer: s.layer = s.shownLayer + 1 >= s.layerCount - 1 ? nil : s.shownLayer + 1   // the last layer is the final result
        case .crossAttention: s.showCrossAttention.toggle()
        case .moreOpacity: s.opacity = min(1, s.opacity + 0.1)
        case .lessOpacity: s.opacity = max(0, s.opacity - 0.1)
        case .boundaries: s.showBoundaries.toggle()
        case .onlySelected: s.onlySelected.toggle()
        case .nextImage, .previousImage:
            let order = s.imageOrder
            guard let here = order.firstIndex(of: s.imageIndex) else { return }
            let there = here + (action == .nextImage ? 1 : -1)
            if there >= 0 && there < order.count { s.imageIndex = order[there]; resetForNewImage(&s) }
        case .imageOrder: s.worstFirst.toggle()
        case .zoomIn: s.viewport.zoom(by: 2)
        case .zoomOut: s.viewport.zoom(by: 0.5)
        case .wholeImage: s.viewport = Viewport()
        case .pan(let x, let y): s.viewport.pan(x: x, y: y)
        case .export: s.exportRequested = true
        case .threshold(let knob, let step):
            // Rounded to the step, so repeated presses land on 0.45, not 0.44999….
            func stepped(_ value: Double) -> Double { min(1, max(0, ((value + step) * 100).rounded() / 100)) }
            switch knob {
            case .score: s.options.threshold = stepped(s.options.threshold)
            case .mask: s.options.maskThreshold = stepped(s.options.maskThreshold)
            case .overlap: s.options.overlapThreshold = stepped(s.options.overlapThreshold)
            }
        case .classTable: s.table = s.table == .perClass ? nil : .perClass
        case .confusionMatrix: s.table = s.table == .confusion ? nil : .confusion
        }
    }

    static func switchView(_ s: inout ExplorerState, to view: ExplorerView) {
        guard view != s.view else { return }
        s.view = view
        s.selection = 0
        s.showDetails = false
        if view == .layers { s.gridLayer = s.layerCount - 1 }
    }

    static func resetForNewImage(_ s: inout ExplorerState) {
        s.selection = 0
        s.viewport = Viewport()
        s.layer = nil
        s.showDetails = false
        s.gridLayer = s.layerCount - 1
    }
}
