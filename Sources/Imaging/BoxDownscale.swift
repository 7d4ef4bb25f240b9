// Area-averaging downscale for display: each output pixel is the exact mean of the source area
// it covers, with partly covered source pixels weighted by the covered fraction.

/// For one axis: output i covers source [i·in/out, (i+1)·in/out). Scaled by `out`, output i is
/// [i·in, (i+1)·in) and source s is [s·out, (s+1)·out), so every overlap is an integer and the
/// weights of an output sum to exactly `in`.
struct AreaKernel {
    var first: [Int]
    var count: [Int]
    var taps: Int
    var weights: [Int]

    init(inSize: Int, outSize: Int) {
        taps = inSize / outSize + 2
        first = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Int](repeating: 0, count: outSize * taps)
        for i in 0..<outSize {
            let lo = i * inSize, hi = (i + 1) * inSize
            let s0 = lo / outSize
            let s1 = min(inSize, (hi + outSize - 1) / outSize)
            first[i] = s0
            var n = 0
            for s in s0..<s1 {
                let overlap = min(hi, (s + 1) * outSize) - max(lo, s * outSize)
                if overlap > 0 {
                    if n == 0 { first[i] = s }
                    weights[i * taps + n] = overlap
                    n += 1
                }
            }
            count[i] = n
        }
    }
}

/// Shrinks (or stretches) `image` to width×height by exact area averaging, rounding half up.
/// Meant for display; use `pillowBilinearResize` for model input. A non-positive size or an
/// empty source gives an all-black image of the requested size (at least 0×0).
public func boxDownscale(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    let outWidth = max(0, width), outHeight = max(0, height)
    if outWidth == image.width && outHeight == image.height { return image }
    if outWidth == 0 || outHeight == 0 || image.width == 0 || image.height == 0 {
        return RGBImage(width: outWidth, height: outHeight)
    }
    let kx = AreaKernel(inSize: image.width, outSize: outWidth)
    let ky = AreaKernel(inSize: image.height, outSize: outHeight)
    let total = image.width * image.height  // Σ wx·wy for every output pixel
    let inRowBytes = image.width * 3, outRowBytes = outWidth * 3
    var out = [UInt8](repeating: 0, count: outRowBytes * outHeight)
    image.pixels.withUnsafeBufferPointer { input in
        out.withUnsafeMutableBufferPointer { output in
            guard let src = input.baseAddress, let dst = output.baseAddress else { return }
            let shared = SharedPointers(source: src, destination: dst)
            parallelRows(outHeight, work: image.width * image.height * 3) { start, end in
                // Horizontal sums of one source row, and the vertical accumulation of an output row.
                let rowSums = UnsafeMutablePointer<Int>.allocate(capacity: outRowBytes)
                let acc = UnsafeMutablePointer<Int>.allocate(capacity: outRowBytes)
                defer { rowSums.deallocate(); acc.deallocate() }
                for oy in start..<end {
                    acc.update(repeating: 0, count: outRowBytes)
                    for t in 0..<ky.count[oy] {
                        let wy = ky.weights[oy * ky.taps + t]
                        let row = shared.source + (ky.first[oy] + t) * inRowBytes
                        for ox in 0..<outWidth {
                            var s0 = 0, s1 = 0, s2 = 0
                            var p = row + kx.first[ox] * 3
                            for j in 0..<kx.count[ox] {
                                let w = kx.weights[ox * kx.taps + j]
                                s0 += Int(p[0]) * w; s1 += Int(p[1]) * w; s2 += Int(p[2]) * w
                                p += 3
                            }
                            rowSums[3 * ox] = s0; rowSums[3 * ox + 1] = s1; rowSums[3 * ox + 2] = s2
                        }
                        for i in 0..<outRowBytes { acc[i] += rowSums[i] * wy }
                    }
                    let o = shared.destination + oy * outRowBytes
                    for i in 0..<outRowBytes { o[i] = UInt8(truncatingIfNeeded: (acc[i] + total / 2) / total) }
                }
            }
        }
    }
    return RGBImage(unchecked: outWidth, outHeight, out)
}
