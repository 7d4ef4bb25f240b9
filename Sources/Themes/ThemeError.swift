// Errors reading theme files: the file, the field, and what a valid value looks like.

public enum ThemeError: Error, CustomStringConvertible, Equatable {
    case notFound(name: String, searched: [String])
    case invalid(file: String, detail: String)

    public var description: String {
        switch self {
        case .notFound(let name, let searched):
            return "theme '\(name)' not found (looked in \(searched.joined(separator: ", "))); built in: default"
        case .invalid(let file, let detail):
            return "\(file): \(detail)"
        }
    }
}
