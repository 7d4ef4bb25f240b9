// The tensor the whole core computes with: a shape and contiguous row-major Float storage.

/// A dense, row-major array of `Float`. Value semantics (copy on write through `Array`).
///
/// Layout conventions used across the project: feature maps are `[C, H, W]`, token sequences are
/// `[N, C]` (N = H·W row-major), weights keep PyTorch's layout (`Linear` is `[out, in]`).
///
/// The scalars live in an owned `[Float]`, or, for F32 weights, in read-only memory borrowed from a
/// memory-mapped checkpoint (`init(shape:borrowing:)`): a Swin-L's 0.86 GB of weights is then
/// resident once, as the file's pages, instead of as a copy beside them. Mutating a borrowed tensor
/// first copies it into owned storage.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    /// Empty while `borrowed` holds the scalars.
    private var owned: [Float]
    private var borrowed: BorrowedScalars?

    /// The scalars as an array (a copy when they are borrowed; kernels read through
    /// `withUnsafeBufferPointer` instead).
    public var scalars: [Float] {
        get { borrowed.map { Array($0.buffer) } ?? owned }
        set { owned = newValue; borrowed = nil }
        _modify {
            makeOwned()
            yield &owned
        }
    }

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.owned = scalars
        self.borrowed = nil
    }

    /// A tensor whose scalars stay where `storage` has them (read-only, never copied unless mutated).
    public init(shape: [Int], borrowing storage: BorrowedScalars) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.buffer.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(storage.buffer.count)")
        self.shape = shape
        self.owned = []
        self.borrowed = storage
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
        self.borrowed = nil
        self.owned = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    /// Whether the scalars are borrowed from memory the tensor does not own (a mapped checkpoint).
    public var isBorrowed: Bool { borrowed != nil }

    private mutating func makeOwned() {
        if let storage = borrowed {
            owned = Array(storage.buffer)
            borrowed = nil
        }
    }

    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { l in rhs.withUnsafeBufferPointer { r in l.elementsEqual(r) } }
    }

    public var count: Int { borrowed?.buffer.count ?? owned.count }
    public var rank: Int { shape.count }

    /// The same scalars seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var copy = self
        copy.reshape(newShape)
        return copy
    }

    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.allSatisfy { $0 >= 0 } && newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let storage = borrowed {
            return try withExtendedLifetime(storage) { try body(storage.buffer) }
        }
        return try owned.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeOwned()
        return try owned.withUnsafeMutableBufferPointer(body)
    }

    /// One scalar by its row-major index, without copying borrowed storage.
    public func scalar(at index: Int) -> Float {
        withUnsafeBufferPointer { $0[index] }
    }

    /// The largest absolute value (0 for an empty tensor).
    public var maxAbs: Float {
        withUnsafeBufferPointer { $0.reduce(0) { Swift.max($0, Swift.abs($1)) } }
    }

    /// Rows `range` of a tensor whose first dimension is the row index.
    public func rows(_ range: Range<Int>) -> Tensor {
        let rowSize = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: withUnsafeBufferPointer { Array($0[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]) })
    }
}

extension Optional where Wrapped == Tensor {
    /// The tensor's base address, or nil for no tensor.
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let tensor): tensor.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
