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

    @Test("a broken theme names the file and the field")
    func brokenThemes() throws {
        let folder = NSTemporaryDirectory() + "maskscope-themes-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let base = try String(contentsOfFile: themesFolder + "/default.json", encoding: .utf8)
        let cases = [
            (base.replacingOccurrences(of: "\"#ffffff\"", with: "\"white\""), "'boundary' must be a colour"),
            (base.replacingOccurrences(of: "0.55", with: "1.5"), "'overlay_opacity' must be a number from 0 to 1"),
            (base.replacingOccurrences(of: "\"#e6194b\"", with: "\"#e6194\""), "'segments[0]' must be a colour"),
            (base.replacingOccurrences(of: "\"warning\": \"#ff5f5f\"", with: "\"other\": \"#ff5f5f\""), "'ui.warning'"),
            ("{", "not valid JSON"),
        ]
        for (text, needle) in cases {
            let path = folder + "/bad.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ThemeError.self) { try ThemeLoader.load(path: path) }
            do { _ = try ThemeLoader.load(path: path) } catch {
                #expect("\(error)".contains(needle) && "\(error)".contains(path), "\(error)")
            }
        }
        do { _ = try ThemeLoader.load(named: "nope", directories: [folder]) } catch {
            #expect("\(error)".contains("theme 'nope' not found") && "\(error)".contains(folder), "\(error)")
        }
    }
}
