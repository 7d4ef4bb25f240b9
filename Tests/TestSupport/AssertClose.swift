// Comparing a computed tensor with a reference one, with the error report a failing parity test needs.

import Safetensors
import TensorCore
import Testing

/// How far `actual` is from `expected`, measured the way the project's tolerance is stated:
/// max |actual − expected| ≤ tolerance · max(1, max |expected|).
public struct Closeness: CustomStringConvertible, Sendable {
    public var maxError: Float
    public var maxReference: Float
    public var worstIndex: Int
    public var actualAtWorst: Float
    public var expectedAtWorst: Float
    public var tolerance: Float
    public var bound: Float { tolerance * max(1, maxReference) }
    public var passes: Bool { maxError <= bound }

    public var description: String {
        "max |Δ| \(maxError) (bound \(bound), max |ref| \(maxReference)); worst at flat index \(worstIndex): got \(actualAtWorst), expected \(expectedAtWorst)"
    }
}

public func closeness(_ actual: Tensor, _ expected: Tensor, tolerance: Float = 1e-4) -> Closeness {
    var result = Closeness(maxError: 0, maxReference: expected.maxAbs, worstIndex: -1, actualAtWorst: 0, expectedAtWorst: 0, tolerance: tolerance)
    for i in 0..<min(actual.count, expected.count) {
        let error = abs(actual.scalars[i] - expected.scalars[i])
        // NaN never passes.
        if error > result.maxError || error.isNaN {
            result.maxError = error.isNaN ? .infinity : error
            result.worstIndex = i
            result.actualAtWorst = actual.scalars[i]
            result.expectedAtWorst = expected.scalars[i]
        }
    }
    return result
}

/// Records a test failure naming `stage` unless shapes agree and values are within tolerance.
@discardableResult
public func expectClose(_ actual: Tensor, _ expected: Tensor, stage: String, tolerance: Float = 1e-4,
                        sourceLocation: SourceLocation = #_sourceLocation) -> Closeness? {
    guard actual.shape == expected.shape else {
        Issue.record("\(stage): shape \(actual.shape), reference \(expected.shape)", sourceLocation: sourceLocation)
        return nil
    }
    let result = closeness(actual, expected, tolerance: tolerance)
    if !result.passes {
        Issue.record("\(stage): \(result)", sourceLocation: sourceLocation)
    }
    return result
}

/// A reference tensor from a fixture file, failing the test clearly when it is absent.
public func referenceTensor(_ file: SafetensorsFile, _ name: String) throws -> Tensor {
    try file.floatTensor(name)
}
