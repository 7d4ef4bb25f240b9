// Memory a tensor reads without owning it: the storage behind Tensor(shape:borrowing:).

/// Read-only Float memory that a tensor borrows instead of copying: F32 weights inside a
/// memory-mapped checkpoint. `owner` (the mapping) is kept alive as long as any tensor uses it.
public final class BorrowedScalars: Sendable {
    nonisolated(unsafe) public let buffer: UnsafeBufferPointer<Float>
    let owner: any AnyObject & Sendable

    /// `buffer` must stay valid and unchanged while `owner` is alive, and be aligned for Float.
    public init(_ buffer: UnsafeBufferPointer<Float>, owner: any AnyObject & Sendable) {
        precondition(Int(bitPattern: buffer.baseAddress) % MemoryLayout<Float>.alignment == 0, "borrowed scalars must be Float-aligned")
        self.buffer = buffer
        self.owner = owner
    }
}
