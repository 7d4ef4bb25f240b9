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

    /// Limits a theme must keep: a palette, not a data file.
    public enum Limits {
        public static let fileBytes = 1 << 20
        public static let segments = 1...1024
        public static let nameLength = 1...64
    }

    /// Reads and validates a theme file: every field present, of the right type and in range, each
    /// failure a `ThemeError.invalid` naming the field, the value and what is allowed.
    public static func load(path: String) throws -> Theme {
        // MappedFile refuses FIFOs and devices instead of blocking on them.
        let file = try MappedFile(path: path)
        guard file.count <= Limits.fileBytes else {
            throw ThemeError.invalid(file: path, detail: "\(file.count) bytes is too large for a theme (at most \(Limits.fileBytes))")
        }
        let data = Data(file.bytes)
        let object: [String: JSONValue]
        do {
            object = try JSONDecoder().decode([String: JSONValue].self, from: data)
        } catch {
            throw ThemeError.invalid(file: path, detail: "not valid JSON, or not a JSON object")
        }
        func invalid(_ field: String, _ value: JSONValue?, _ allowed: String) -> ThemeError {
            ThemeError.invalid(file: path, detail: "'\(field)' is \(value?.text ?? "missing"); must be \(allowed)")
        }
        func color(_ value: JSONValue?, field: String) throws -> RGBColor {
            guard case .string(let text)? = value, let parsed = try? RGBColor(hex: text) else {
                throw invalid(field, value, "a colour like \"#1e90ff\"")
            }
            return parsed
        }
        guard case .string(let name)? = object["name"], Limits.nameLength.contains(name.count),
              !name.contains("/"), !name.hasPrefix(".") else {
            throw invalid("name", object["name"], "a string of 1 to \(Limits.nameLength.upperBound) characters, usable as a file name")
        }
        guard case .array(let list)? = object["segments"], Limits.segments.contains(list.count) else {
            throw invalid("segments", object["segments"], "a list of 1 to \(Limits.segments.upperBound) colours")
        }
        let segments = try list.enumerated().map { try color($0.element, field: "segments[\($0.offset)]") }
        guard case .number(let opacity)? = object["overlay_opacity"], (0...1).contains(opacity) else {
            throw invalid("overlay_opacity", object["overlay_opacity"], "a number from 0 to 1")
        }
        let boundary = try color(object["boundary"], field: "boundary")
        guard case .object(let roles)? = object["ui"] else {
            throw invalid("ui", object["ui"], "an object with \(Theme.requiredUIRoles.joined(separator: ", "))")
        }
        var ui: [String: RGBColor] = [:]
        for role in Theme.requiredUIRoles { ui[role] = try color(roles[role], field: "ui.\(role)") }
        return Theme(name: name, segments: segments, overlayOpacity: Float(opacity), boundary: boundary, ui: ui)
    }
}
