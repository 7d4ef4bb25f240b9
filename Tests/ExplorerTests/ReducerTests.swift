// The explorer's interactions, driven without a terminal.

import Testing
@testable import Explorer

@Suite("Explorer reducer")
struct ReducerTests {
    func apply(_ events: [ExplorerEvent], to state: ExplorerState = ExplorerState()) -> ExplorerState {
        events.reduce(state) { ExplorerReducer.reduce($0, $1) }
    }

    @Test("selection moves within the list and follows it when it shrinks")
    func selection() {
        var s = apply([.listChanged(count: 5), .key(.down), .key(.down), .key(.down)])
        #expect(s.selection == 3)
        s = apply([.key(.pageDown)], to: s)
        #expect(s.selection == 4)
        s = apply([.key(.up), .listChanged(count: 2)], to: s)
        #expect(s.selection == 1)
        s = apply([.key(.home)], to: s)
        #expect(s.selection == 0)
        s = apply([.select(row: 7), .select(row: 1)], to: s)
        #expect(s.selection == 1)
    }

    @Test("views switch with digits and Tab, resetting the selection")
    func views() {
        var s = apply([.listChanged(count: 9), .key(.down), .key(.character("3"))])
        #expect(s.view == .semantic && s.selection == 0)
        s = apply([.key(.tab), .key(.tab)], to: s)
        #expect(s.view == .queries)
        s = apply([.key(.tab)], to: s)
        #expect(s.view == .truth)
        s = apply([.key(.tab)], to: s)
        #expect(s.view == .errors)
        s = apply([.key(.tab)], to: s)
        #expect(s.view == .layers)
        s = apply([.key(.tab)], to: s)
        #expect(s.view == .image)
        s = apply([.key(.character("7"))], to: s)
        #expect(s.view == .errors)
        s = apply([.key(.character("6"))], to: s)
        #expect(s.view == .truth)
    }

    @Test("[ and ] step through the decoder layers, ] past the last returns to the final result")
    func layers() {
        var s = apply([.resultsLoaded(layerCount: 10)])
        #expect(s.shownLayer == 9 && s.layer == nil)
        s = apply([.key(.character("["))], to: s)
        #expect(s.layer == 8)
        s = apply(Array(repeating: .key(.character("[")), count: 20), to: s)
        #expect(s.layer == 0)
        s = apply([.key(.character("]"))], to: s)
        #expect(s.layer == 1)
        s = apply(Array(repeating: .key(.character("]")), count: 8), to: s)
        #expect(s.layer == nil && s.shownLayer == 9)
        s = apply([.key(.character("[")), .key(.character("[")), .resultsLoaded(layerCount: 4)], to: s)
        #expect(s.layer == nil && s.shownLayer == 3)   // past the new image's last layer: its final result
    }

    @Test("overlays close before anything else; q and Esc quit")
    func overlaysAndQuit() {
        var s = apply([.listChanged(count: 3), .key(.character("?"))])
        #expect(s.showHelp)
        s = apply([.key(.character("q"))], to: s)   // closes help, does not quit
        #expect(!s.showHelp && !s.quitRequested)
        s = apply([.key(.enter)], to: s)
        #expect(s.showDetails)
        s = apply([.key(.escape)], to: s)
        #expect(!s.showDetails && !s.quitRequested)
        s = apply([.key(.escape)], to: s)
        #expect(s.quitRequested)
    }

    @Test("opacity is clamped, toggles flip, images step within bounds")
    func controls() {
        var s = ExplorerState()
        s.imageCount = 2
        s = apply(Array(repeating: .key(.character("+")), count: 8) + [.key(.character("b")), .key(.character("f"))], to: s)
        #expect(s.opacity == 1 && !s.showBoundaries && s.onlySelected)
        s = apply([.key(.character("n")), .key(.character("n"))], to: s)
        #expect(s.imageIndex == 1)
        s = apply([.key(.character("p")), .key(.character("p"))], to: s)
        #expect(s.imageIndex == 0)
        #expect(KeyBindings.all.contains { $0.keys.contains("[ ]") })
    }

    @Test("t/T, m/M, o/O step the thresholds by 0.05, clamped to 0…1, landing on round values")
    func thresholds() {
        var s = apply([.key(.character("t")), .key(.character("t")), .key(.character("M")), .key(.character("O"))])
        #expect(s.options.threshold == 0.4 && s.options.maskThreshold == 0.55 && s.options.overlapThreshold == 0.85)
        s = apply(Array(repeating: .key(.character("t")), count: 30) + Array(repeating: .key(.character("O")), count: 30)
                  + Array(repeating: .key(.character("m")), count: 30), to: s)
        #expect(s.options.threshold == 0 && s.options.overlapThreshold == 1 && s.options.maskThreshold == 0)
        s = apply(Array(repeating: .key(.character("T")), count: 7), to: s)
        #expect(s.options.threshold == 0.35)
    }

    @Test("view 8: ← → move between layers only there, within 0…layerCount−1; a new image starts at the final layer")
    func layerGridMoves() {
        var s = apply([.resultsLoaded(layerCount: 10), .key(.left)])
        #expect(s.gridLayer == 9)
        s = apply([.key(.character("8")), .listChanged(count: 5), .key(.left), .key(.left), .key(.down)], to: s)
        #expect(s.view == .layers && s.gridLayer == 7 && s.selection == 1)
        s = apply(Array(repeating: .key(.left), count: 20), to: s)
        #expect(s.gridLayer == 0)
        s = apply(Array(repeating: .key(.right), count: 20), to: s)
        #expect(s.gridLayer == 9)
        s = apply([.key(.left)], to: s)
        s.imageCount = 2
        s = apply([.key(.character("n"))], to: s)
        #expect(s.imageIndex == 1 && s.gridLayer == 9 && s.selection == 0)
        s = apply([.key(.enter)], to: s)   // without a document Enter has no query to open, and no details box in the grid
        #expect(s.view == .layers && !s.showDetails)
    }

    @Test("w: n/p walk the evaluated images worst PQ first, then the others in file order")
    func worstFirstOrder() {
        var s = ExplorerState()
        s.imageCount = 5
        s = apply([.imageScores([0: 0.9, 2: 0.3, 3: 0.6]), .key(.character("n"))], to: s)
        #expect(s.imageIndex == 1, "file order without w")
        s = apply([.key(.character("w"))], to: s)
        #expect(s.worstFirst && s.imageOrder == [2, 3, 0, 1, 4])
        s = apply([.key(.character("p"))], to: s)
        #expect(s.imageIndex == 0)
        s = apply([.key(.character("p")), .key(.character("p")), .key(.character("p"))], to: s)
        #expect(s.imageIndex == 2, "stops at the worst")
        s = apply([.key(.character("w")), .key(.character("n"))], to: s)
        #expect(!s.worstFirst && s.imageIndex == 3)
    }

    @Test("c and x toggle their tables, Esc closes one without quitting; e asks the loop to export")
    func tablesAndExport() {
        var s = apply([.key(.character("c"))])
        #expect(s.table == .perClass)
        s = apply([.key(.character("x"))], to: s)
        #expect(s.table == .confusion)
        s = apply([.key(.character("x"))], to: s)
        #expect(s.table == nil)
        s = apply([.key(.character("c")), .key(.escape)], to: s)
        #expect(s.table == nil && !s.quitRequested)
        s = apply([.key(.character("e"))], to: s)
        #expect(s.exportRequested)
    }

    @Test("the key table: no key bound twice, and every binding's keys named in its help")
    func keyTable() {
        var seen: [ExplorerKey: String] = [:]
        for binding in KeyBindings.all {
            for (key, _) in binding.actions {
                #expect(seen[key] == nil, "\(key) is bound in '\(seen[key] ?? "")' and '\(binding.keys)'")
                seen[key] = binding.keys
                if case .character(let c) = key { #expect(binding.keys.contains(c), "'\(c)' is not named in '\(binding.keys)'") }
            }
        }
        for key in "tTmMoO8wcxe" { #expect(KeyBindings.action(for: .character(key)) != nil, "\(key) has no action") }
    }
}
