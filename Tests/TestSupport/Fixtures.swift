// Where the committed fixtures live, found from this file's path so tests run from any directory.

/// The repository's `Tests/Fixtures` folder.
public let fixturesDirectory: String = {
    let file = "\(#filePath)"  // …/Tests/TestSupport/Fixtures.swift
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)
    return parts.joined(separator: "/") + "/Fixtures"
}()

/// The absolute path of a fixture, e.g. `fixturePath("imaging/manifest.json")`.
public func fixturePath(_ relative: String) -> String {
    fixturesDirectory + "/" + relative
}

/// The repository root (the folder holding Package.swift, SampleImages/, Models/).
public let repositoryRoot: String = {
    var parts = fixturesDirectory.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)
    return parts.joined(separator: "/")
}()
