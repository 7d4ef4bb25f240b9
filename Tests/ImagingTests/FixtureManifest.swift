// The cases written by Tools/reference/make_image_fixtures.py (Tests/Fixtures/imaging/manifest.json).

import Foundation
import Testing
import TestSupport

struct DecodeCase: Codable, Sendable, CustomTestStringConvertible {
    var file: String
    var mode: String
    var note: String
    var width: Int
    var height: Int
    var expected: String
    var testDescription: String { "\(file) (\(mode))" }
}

struct CorruptCase: Codable, Sendable, CustomTestStringConvertible {
    var file: String
    var note: String
    var testDescription: String { "\(file): \(note)" }
}

struct ResizeCase: Codable, Sendable, CustomTestStringConvertible {
    var source: String
    var sourceWidth: Int
    var sourceHeight: Int
    var width: Int
    var height: Int
    var expected: String
    var testDescription: String { "\(sourceWidth)×\(sourceHeight) → \(width)×\(height)" }
}

struct ImageManifest: Codable, Sendable {
    var pillow: String
    var decode: [DecodeCase]
    var corrupt: [CorruptCase]
    var resize: [ResizeCase]

    /// The manifest, or an empty one if it cannot be read (`manifestIsComplete` then fails).
    static let shared: ImageManifest = {
        guard let data = FileManager.default.contents(atPath: fixturePath("imaging/manifest.json")),
              let manifest = try? JSONDecoder().decode(ImageManifest.self, from: data)
        else { return ImageManifest(pillow: "missing", decode: [], corrupt: [], resize: []) }
        return manifest
    }()
}

/// The bytes of a fixture file.
func fixtureBytes(_ name: String) throws -> [UInt8] {
    let path = fixturePath("imaging/" + name)
    guard let data = FileManager.default.contents(atPath: path) else {
        throw FixtureMissing(path: path)
    }
    return [UInt8](data)
}

struct FixtureMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path): fixture missing; run Tools/reference/make_image_fixtures.py" }
}

/// Index and value of the first differing byte, for readable failures.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    guard a.count == b.count else { return "sizes differ: \(a.count) vs \(b.count)" }
    var mismatches = 0
    var first = -1
    for i in 0..<a.count where a[i] != b[i] {
        if first < 0 { first = i }
        mismatches += 1
    }
    if first < 0 { return "equal" }
    return "\(mismatches) bytes differ; first at byte \(first) (pixel \(first / 3), channel \(first % 3)): \(a[first]) vs \(b[first])"
}

@Suite struct ManifestTests {
    @Test func manifestIsComplete() {
        let m = ImageManifest.shared
        #expect(m.pillow == "11.3.0")
        #expect(m.decode.count >= 30)
        #expect(m.corrupt.count >= 5)
        #expect(m.resize.count >= 10)
    }
}
