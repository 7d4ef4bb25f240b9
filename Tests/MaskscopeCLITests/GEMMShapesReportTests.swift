// `maskscope bench --gemm-shapes` reports each GEMM shape's rate against the machine's measured fp32
// FMA peak (issue 13), so how close a product runs to the hardware is read off, not guessed.

import Foundation
import TestSupport
import Testing

@Suite("bench --gemm-shapes")
struct GEMMShapesReportTests {
    @Test("every shape line gives its GFLOP/s and its share of a measured, positive FMA peak")
    func sharesOfPeak() throws {
        let result = try runMaskscope(["bench", "--model", fixturePath("models/tiny-w7"), "--size", "64x64", "--runs", "1", "--gemm-shapes"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("parallel GEMMs") }, "\(result.stdout)")
        let peak = try #require(header.firstMatch(of: #/fp32 FMA peak ([\d.]+) GFLOP\/s/#).flatMap { Double($0.1) }, "\(header)")
        #expect(peak > 0, "\(header)")
        let shapes = lines.filter { $0.firstMatch(of: #/^\d+×\d+×\d+ [NT][NT] /#) != nil }
        #expect(!shapes.isEmpty, "\(result.stdout)")
        for line in shapes {
            let match = try #require(line.firstMatch(of: #/([\d.]+) GFLOP\/s +(\d+)% of peak$/#), "\(line)")
            let rate = try #require(Double(match.1)), share = try #require(Double(match.2))
            // Rate and peak are both printed to 0.1 GFLOP/s and a debug build's are small, so the share
            // is checked against the range those roundings allow (the rate alone missed it under load).
            let lowest = 100 * max(rate - 0.05, 0) / (peak + 0.05) - 1
            let highest = 100 * (rate + 0.05) / max(peak - 0.05, 1e-9) + 1
            #expect(share >= lowest.rounded(.down) && share <= highest.rounded(.up), "\(line) against a peak of \(peak)")
        }
    }
}
