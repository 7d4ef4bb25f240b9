// Golden text files (argument-parser's snapshot style): compared line by line; MASKSCOPE_RECORD=1
// writes the file anew and fails that run, so a recording is never mistaken for a pass.

import Foundation
import Testing

/// Compares `text` with `Tests/Fixtures/golden/<name>`; the first differing line is reported.
public func assertGolden(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let path = fixturePath("golden/" + name)
    if ProcessInfo.processInfo.environment["MASKSCOPE_RECORD"] == "1" {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("recorded \(path); run again without MASKSCOPE_RECORD", sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot record \(path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("no golden file \(path); record it with MASKSCOPE_RECORD=1", sourceLocation: sourceLocation)
        return
    }
    guard expected != text else { return }
    let want = expected.components(separatedBy: "\n"), got = text.components(separatedBy: "\n")
    let line = (0..<min(want.count, got.count)).first { want[$0] != got[$0] } ?? min(want.count, got.count)
    Issue.record("""
        \(name) differs from the golden file at line \(line + 1) (MASKSCOPE_RECORD=1 re-records it):
        expected: \(line < want.count ? want[line] : "<end>")
             got: \(line < got.count ? got[line] : "<end>")
        """, sourceLocation: sourceLocation)
}
