// The tensor the whole core computes with: a shape and contiguous row-major Float storage.

/// A dense, row-major array of `Float`. Value semantics (copy on write through `Array`).
///
/// Layout conventions used across the project: feature maps are `[C, H, W]`, token sequences are
/// `[N, C]` (N = H·W row-major), weights keep PyTorch's layout (`Linear` is `[out, in]`).
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, repeating: 0)
    }

    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Builds a tensor by letting `body` fill uninitialised storage of the right size.
    public init(shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The same scalars seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == scalars.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// The largest absolute value (0 for an empty tensor).
    public var maxAbs: Float {
        scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
    }

    /// Rows `range` of a tensor whose first dimension is the row index.
    public func rows(_ range: Range<Int>) -> Tensor {
        let rowSize = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: Array(scalars[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
    }
}
