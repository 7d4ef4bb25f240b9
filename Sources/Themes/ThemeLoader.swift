// Finding and validating theme files: $MASKSCOPE_THEMES, then $XDG_CONFIG_HOME/maskscope/themes
// (~/.config/maskscope/themes), then the Themes/ folder of the checkout the executable was built in.

import FileIO
import Foundation
import Imaging

public enum ThemeLoader {
    /// The folders searched for `<name>.json`, in order.
    public static func searchDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         executableFolders: [String] = executableAncestors()) -> [String] {
        var directories: [String] = []
        if let custom = environment["MASKSCOPE_THEMES"], !custom.isEmpty { directories.append(custom) }
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        directories.append(config + "/maskscope/themes")
        // .build/<config>/maskscope → the checkout's Themes/.
        if let folder = executableFolders.first(where: { isDirectory($0 + "/Themes") }) { directories.append(folder + "/Themes") }
        return directories
    }

    /// `default` is built in; any other name is read from the first folder that has it.
    public static func load(named name: String, directories: [String] = searchDirectories()) throws -> Theme {
        for directory in directories {
            let path = directory + "/" + name + ".json"
            if fileExists(path) { return try load(path: path) }
        }
        if name == Theme.standard.name { return .standard }
        throw ThemeError.notFound(name: name, searched: directories)
    }

    /// Names of every theme found (built in included), sorted.
    public static func available(directories: [String] = searchDirectories()) -> [String] {
        var names: Set<String> = [Theme.standard.name]
        for directory in directories {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".json") {
                names.insert(String(file.dropLast(5)))
            }
        }
        return names.sorted()
    }

    public static func load(path: String) throws -> Theme {
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ThemeError.invalid(file: path, detail: "not a JSON object")
            }
            object = parsed
        } catch let error as ThemeError {
            throw error
        } catch {
            throw ThemeError.invalid(file: path, detail: "not valid JSON")
        }
        func color(_ value: Any?, field: String) throws -> RGBColor {
            guard let text = value as? String, let parsed = try? RGBColor(hex: text) else {
                throw ThemeError.invalid(file: path, detail: "'\(field)' must be a colour like \"#1e90ff\"")
            }
            return parsed
        }
        guard let name = object["name"] as? String, !name.isEmpty else {
            throw ThemeError.invalid(file: path, detail: "'name' must be a non-empty string")
        }
        guard let list = object["segments"] as? [Any], !list.isEmpty else {
            throw ThemeError.invalid(file: path, detail: "'segments' must be a non-empty list of colours")
        }
        let segments = try list.enumerated().map { try color($0.element, field: "segments[\($0.offset)]") }
        guard let opacity = (object["overlay_opacity"] as? NSNumber)?.floatValue, (0...1).contains(opacity) else {
            throw ThemeError.invalid(file: path, detail: "'overlay_opacity' must be a number from 0 to 1")
        }
        let boundary = try color(object["boundary"], field: "boundary")
        guard let uiObject = object["ui"] as? [String: Any] else {
            throw ThemeError.invalid(file: path, detail: "'ui' must be an object with \(Theme.requiredUIRoles.joined(separator: ", "))")
        }
        var ui: [String: RGBColor] = [:]
        for role in Theme.requiredUIRoles { ui[role] = try color(uiObject[role], field: "ui.\(role)") }
        return Theme(name: name, segments: segments, overlayOpacity: opacity, boundary: boundary, ui: ui)
    }
}
