// Parallel loops over all cores: the one place that decides how work is split.

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Number of worker threads the parallel loops use (all online cores).
public let parallelWorkerCount: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

/// Runs `body` over disjoint chunks covering `0..<count`, on all cores.
///
/// `minimumChunk` keeps tiny loops serial: splitting work smaller than that costs more than it saves.
/// Chunks are a few per worker so uneven work (e.g. windows at an image edge) still balances.
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let maxChunks = max(1, count / max(1, minimumChunk))
    let chunks = min(maxChunks, parallelWorkerCount * 4)
    if chunks <= 1 || parallelWorkerCount == 1 {
        body(0..<count)
        return
    }
    // Chunks write disjoint ranges, so sharing `body` across threads is safe; the type system
    // cannot see that, hence the cast (the only one in the project).
    withoutActuallyEscaping(body) { body in
        let shared = unsafeBitCast(body, to: (@Sendable (Range<Int>) -> Void).self)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * count / chunks
            let end = (chunk + 1) * count / chunks
            if start < end { shared(start..<end) }
        }
    }
}

/// A pointer that may cross into the parallel loop's closures. Each chunk writes a disjoint range.
public struct SendablePointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
