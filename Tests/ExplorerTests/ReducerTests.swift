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
}
