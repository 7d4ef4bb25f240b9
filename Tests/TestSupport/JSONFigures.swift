// Reading the figures a command wrote as JSON (`maskscope eval --json`, reference metrics).

import Foundation

/// The top-level object of a JSON file.
public func loadJSONObject(_ path: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    guard let object = value as? [String: Any] else { throw CocoaError(.propertyListReadCorrupt) }
    return object
}

/// The number at a key path, e.g. `number(figures, ["panoptic", "all", "pq"])`; nil if absent.
public func number(_ object: Any?, _ path: [String]) -> Double? {
    var current = object
    for key in path { current = (current as? [String: Any])?[key] }
    return (current as? NSNumber)?.doubleValue
}
