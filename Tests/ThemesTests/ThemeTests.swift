// Theme files: the shipped ones load, the built-in default equals Themes/default.json, and a broken
// file names its field.

import Foundation
import Imaging
import TestSupport
import Testing
@testable import Themes

let themesFolder = fixturesDirectory.replacingOccurrences(of: "/Tests/Fixtures", with: "/Themes")

@Suite("Themes")
struct ThemeTests {
    @Test("every shipped theme loads, and the built-in default equals Themes/default.json")
    func shippedThemes() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: themesFolder).filter { $0.hasSuffix(".json") }
        #expect(names.count >= 3)
        for name in names {
            let theme = try ThemeLoader.load(path: themesFolder + "/" + name)
            #expect(theme.name + ".json" == name)
            #expect(Set(theme.ui.keys) == Set(Theme.requiredUIRoles))
        }
        #expect(try ThemeLoader.load(path: themesFolder + "/default.json") == Theme.standard)
        #expect(try ThemeLoader.load(named: "light", directories: [themesFolder]).name == "light")
        #expect(try ThemeLoader.load(named: "default", directories: []) == Theme.standard)
    }

    @Test("a broken theme names the file, the field, the value and what is allowed")
    func brokenThemes() throws {
        let folder = NSTemporaryDirectory() + "maskscope-themes-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let base = try String(contentsOfFile: themesFolder + "/default.json", encoding: .utf8)
        func edited(_ old: String, _ new: String) -> String {
            // A replacement that misses would test the shipped theme instead of a broken one.
            #expect(base.contains(old), "default.json no longer holds \(old)")
            return base.replacingOccurrences(of: old, with: new)
        }
        let path = folder + "/bad.json"
        let cases = [
            (edited("\"#ffffff\"", "\"white\""), ##"'boundary' is "white"; must be a colour like "#1e90ff""##),
            (edited("0.55", "1.5"), "'overlay_opacity' is 1.5; must be a number from 0 to 1"),
            (edited("0.55", "true"), "'overlay_opacity' is true; must be a number from 0 to 1"),
            (edited("0.55", "\"0.5\""), #"'overlay_opacity' is "0.5"; must be a number"#),
            (edited("\"#e6194b\"", "\"#e6194\""), ##"'segments[0]' is "#e6194"; must be a colour"##),
            (edited("\"#e6194b\"", "12"), "'segments[0]' is 12; must be a colour"),
            (edited("\"warning\": \"#ff5f5f\"", "\"other\": \"#ff5f5f\""), "'ui.warning' is missing; must be a colour"),
            (edited("\"name\": \"default\"", "\"name\": \"\""), #"'name' is ""; must be a string of 1 to 64 characters"#),
            (edited("\"name\": \"default\"", "\"name\": \"../x\""), #"'name' is "../x"; must be"#),
            (edited("\"name\": \"default\",", ""), "'name' is missing"),
            (##"{"name": "x", "segments": [], "overlay_opacity": 0.5, "boundary": "#000000", "ui": {}}"##,
             "'segments' is a list of 0; must be a list of 1 to 1024 colours"),
            ("{\"name\": \"x\", \"segments\": [" + Array(repeating: "\"#000000\"", count: 1025).joined(separator: ",") + "], \"overlay_opacity\": 0.5}",
             "'segments' is a list of 1025"),
            (edited("\"ui\": {", "\"ui\": [], \"unused\": {"), "'ui' is a list of 0; must be an object with background"),
            ("[1, 2]", "not valid JSON, or not a JSON object"),
            ("{", "not valid JSON"),
            (String(repeating: " ", count: (1 << 20) + 1) + "{}", "is too large for a theme"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                let theme = try ThemeLoader.load(path: path)
                Issue.record("loaded \(theme.name) instead of failing with \(expected)")
            } catch let error as ThemeError {
                guard case .invalid(let file, _) = error else { Issue.record("\(error)"); continue }
                #expect(file == path && "\(error)".contains(expected), "\(error)")
            }
        }
        #expect(throws: ThemeError.notFound(name: "nope", searched: [folder])) {
            try ThemeLoader.load(named: "nope", directories: [folder])
        }
        #expect(ThemeError.notFound(name: "nope", searched: [folder]).description.contains("theme 'nope' not found (looked in \(folder))"))
    }
}
