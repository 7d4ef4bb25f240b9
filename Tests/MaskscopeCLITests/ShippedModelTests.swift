// The model and sample images that ship in the repository: found with no --model from a fresh
// checkout, and good enough to explore (its labels match the scene; metrics in EvalTests).

import Foundation
import TestSupport
import Testing

@Suite("the shipped model")
struct ShippedModelTests {
    let scene = repositoryRoot + "/SampleImages/shapes/sample-000001.png"

    @Test("predict with no --model uses Models/shapes-swin and names what is in the scene")
    func predictWithoutModel() throws {
        let result = try runMaskscope(["predict", scene, "--top", "40"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Models/shapes-swin"), "\(result.stdout)")
        // Rows: "query  label  score  mask%". The scene (Tests/Fixtures/shapes-sample) holds sky, grass,
        // water, sand, discs and rings; no square, triangle or star.
        var confident: Set<String> = []
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, Int(fields[0]) != nil, let score = Double(fields[2]) else { continue }
            if score >= 0.5 { confident.insert(String(fields[1])) }
        }
        #expect(confident.isSuperset(of: ["sky", "grass", "water", "sand", "disc"]), "confident labels: \(confident.sorted())")
        #expect(confident.isSubset(of: ["sky", "grass", "water", "sand", "disc", "ring"]), "confident labels: \(confident.sorted())")
    }

    @Test("without --model and away from the checkout, the error says what was looked for and what to do")
    func missingDefaultModel() throws {
        let folder = try scratchDirectory()
        let copy = folder + "/maskscope"
        try FileManager.default.copyItem(atPath: maskscopeExecutable(), toPath: copy)
        var environment = ProcessInfo.processInfo.environment
        environment["MASKSCOPE_MODEL"] = nil
        let result = try runMaskscope(["predict", scene], executable: copy, environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Models/shapes-swin") && result.stderr.contains("--model") && result.stderr.contains(folder), "\(result.stderr)")

        environment["MASKSCOPE_MODEL"] = folder + "/no-such-model"
        let chosen = try runMaskscope(["predict", scene], executable: copy, environment: environment)
        #expect(chosen.status == 1 && chosen.stderr.contains("no-such-model"), "\(chosen.stderr)")
    }
}
