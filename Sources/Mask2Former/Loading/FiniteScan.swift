// One pass over loaded weights that finds NaN or ±inf, cheap enough to run on every tensor at load:
// x·0 is 0 for every finite x and NaN for NaN and ±inf, so a 16-lane multiply-add per element is the
// whole test, and only a tensor that fails it is searched again for the position to report.

/// The index of the first NaN or infinite value, or nil when all are finite.
func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
    guard let base = values.baseAddress else { return nil }
    let raw = UnsafeRawPointer(base)
    let lanes = 16, whole = values.count / lanes * lanes
    let stride = MemoryLayout<Float>.stride
    // Four accumulators keep the adds independent (no loop-carried latency chain).
    var a = SIMD16<Float>(repeating: 0), b = a, c = a, d = a
    var i = 0
    while i + 4 * lanes <= whole {
        a += raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Float>.self) * 0
        b += raw.loadUnaligned(fromByteOffset: (i + lanes) * stride, as: SIMD16<Float>.self) * 0
        c += raw.loadUnaligned(fromByteOffset: (i + 2 * lanes) * stride, as: SIMD16<Float>.self) * 0
        d += raw.loadUnaligned(fromByteOffset: (i + 3 * lanes) * stride, as: SIMD16<Float>.self) * 0
        i += 4 * lanes
    }
    while i < whole {
        a += raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Float>.self) * 0
        i += lanes
    }
    var tail: Float = 0
    while i < values.count { tail += values[i] * 0; i += 1 }
    guard ((a + b + c + d).sum() + tail).isNaN else { return nil }
    return values.firstIndex { !$0.isFinite }
}
