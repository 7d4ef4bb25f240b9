// Pillow's Image.resize(size, Image.BILINEAR) on 8-bit RGB, reproduced byte for byte (11.3/12.x and 13.0).
//
// Follows libImaging/Resample.c (Pillow 11.3): `precompute_coeffs` in double with the triangle
// filter (support 1, widened by the shrink factor, so shrinking is antialiased),
// `normalize_coeffs_8bpc` to fixed point with PRECISION_BITS = 22, then a horizontal pass into a
// uint8 intermediate holding only the source rows the vertical pass reads, then a vertical pass.
// Each output sample is clip8((2^21 + Σ sample·k) >> 22). A pass is skipped when its dimension is
// unchanged. Docs/ARCHITECTURE.md, "Parity notes".

import Dispatch

/// The fixed-point filter for one axis: output i reads `count[i]` source samples from `first[i]`
/// with weights `weights[i * taps ..< i * taps + count[i]]`, each worth 2^-precisionBits.
struct ResampleKernel {
    var first: [Int]
    var count: [Int]
    var taps: Int
    var weights: [Int32]
    var precisionBits: Int32
}

/// How the double weights become integers: Pillow always uses 22 fraction bits; torch's uint8
/// antialiased kernel (see TorchResize.swift) uses as many as keep the largest weight in an int16.
enum FixedPointWeights {
    case pillow
    case torchInt16

    /// Pillow's PRECISION_BITS, or torch's `compute_index_ranges_int16_weights` search.
    func precisionBits(largestWeight: Double) -> Int32 {
        switch self {
        case .pillow: return 22
        case .torchInt16:
            var bits: Int32 = 0
            while bits < 22 {
                if Int(0.5 + largestWeight * Double(1 << (bits + 1))) >= 1 << 15 { break }
                bits += 1
            }
            return bits
        }
    }
}

/// `precompute_coeffs` + `normalize_coeffs_8bpc` for the BILINEAR filter and the box (0, inSize).
/// torch's `_compute_index_ranges_weights` (antialias, align_corners false) computes the same
/// double weights; only the fixed-point step differs (`fixedPoint`).
func bilinearKernel(inSize: Int, outSize: Int, fixedPoint: FixedPointWeights = .pillow) -> ResampleKernel {
    // Pillow passes the box as floats: in0 = 0, in1 = inSize; (double)(in1 - in0) / outSize.
    let in0: Double = Double(Float(0))
    let scale = Double(Float(inSize) - Float(0)) / Double(outSize)
    let filterscale = max(scale, 1.0)
    let support = 1.0 * filterscale
    let taps = Int(support.rounded(.up)) * 2 + 1
    var first = [Int](repeating: 0, count: outSize)
    var count = [Int](repeating: 0, count: outSize)
    var weights = [Int32](repeating: 0, count: outSize * taps)
    var k = [Double](repeating: 0, count: taps)
    var normalized = [Double](repeating: 0, count: outSize * taps)
    let ss = 1.0 / filterscale
    for xx in 0..<outSize {
        let center = in0 + (Double(xx) + 0.5) * scale
        var ww = 0.0
        // (int) casts truncate toward zero, as Swift's Int(Double) does.
        var xmin = Int(center - support + 0.5)
        if xmin < 0 { xmin = 0 }
        var xmax = Int(center + support + 0.5)
        if xmax > inSize { xmax = inSize }
        xmax -= xmin
        for x in 0..<max(xmax, 0) {
            let t = (Double(x + xmin) - center + 0.5) * ss
            let a = t < 0 ? -t : t
            let w = a < 1.0 ? 1.0 - a : 0.0
            k[x] = w
            ww += w
        }
        for x in 0..<max(xmax, 0) {
            if ww != 0.0 { k[x] /= ww }
            normalized[xx * taps + x] = k[x]
        }
        first[xx] = xmin
        count[xx] = max(xmax, 0)
    }
    let precisionBits = fixedPoint.precisionBits(largestWeight: normalized.max() ?? 0)
    for (i, w) in normalized.enumerated() {
        // normalize_coeffs_8bpc (bilinear weights are never negative).
        let scaled = w * Double(1 << precisionBits)
        weights[i] = w < 0 ? Int32(-0.5 + scaled) : Int32(0.5 + scaled)
    }
    return ResampleKernel(first: first, count: count, taps: taps, weights: weights, precisionBits: precisionBits)
}

@inline(__always)
private func clip8(_ acc: Int32, _ precisionBits: Int32) -> UInt8 {
    let v = acc >> precisionBits
    return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
}

/// Raw pointers handed to worker threads; every worker writes a disjoint range of rows.
struct SharedPointers: @unchecked Sendable {
    let source: UnsafePointer<UInt8>
    let destination: UnsafeMutablePointer<UInt8>
}

/// Runs `body(rowStart, rowEnd)` over `rows` rows, in parallel when the work is large enough.
func parallelRows(_ rows: Int, work: Int, _ body: (Int, Int) -> Void) {
    let workers = ProcessInfoLite.activeProcessorCount
    if rows < 2 || work < 200_000 || workers < 2 {
        body(0, rows)
        return
    }
    let chunks = min(rows, workers * 4)
    // concurrentPerform returns only after every iteration ran, so `body` does not escape; the
    // box only tells the compiler that sharing it is fine (workers touch disjoint rows).
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = rows * chunk / chunks
            let end = rows * (chunk + 1) / chunks
            if start < end { shared.value(start, end) }
        }
    }
}

/// A value shared with worker threads whose safety the caller guarantees.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Horizontal pass: `rows` rows starting at source row `rowOffset`, width inWidth → kernel.count.
private func resampleHorizontal(source: UnsafePointer<UInt8>, inWidth: Int, rowOffset: Int, rows: Int,
                                kernel: ResampleKernel, destination: UnsafeMutablePointer<UInt8>) {
    let outWidth = kernel.first.count
    let shared = SharedPointers(source: source, destination: destination)
    kernel.first.withUnsafeBufferPointer { first in
        kernel.count.withUnsafeBufferPointer { count in
            kernel.weights.withUnsafeBufferPointer { weights in
                let taps = kernel.taps, precisionBits = kernel.precisionBits
                parallelRows(rows, work: rows * outWidth * taps * 3) { start, end in
                    for yy in start..<end {
                        let src = shared.source + (yy + rowOffset) * inWidth * 3
                        let dst = shared.destination + yy * outWidth * 3
                        for xx in 0..<outWidth {
                            let n = count[xx]
                            var p = src + first[xx] * 3
                            var w = weights.baseAddress! + xx * taps
                            var s0: Int32 = 1 << (precisionBits - 1), s1 = s0, s2 = s0
                            for _ in 0..<n {
                                let k = w.pointee
                                s0 &+= Int32(p[0]) &* k
                                s1 &+= Int32(p[1]) &* k
                                s2 &+= Int32(p[2]) &* k
                                p += 3
                                w += 1
                            }
                            dst[3 * xx] = clip8(s0, precisionBits)
                            dst[3 * xx + 1] = clip8(s1, precisionBits)
                            dst[3 * xx + 2] = clip8(s2, precisionBits)
                        }
                    }
                }
            }
        }
    }
}

/// Vertical pass: output row yy reads rows first[yy] - rowShift ..< + count[yy] of `source`.
private func resampleVertical(source: UnsafePointer<UInt8>, width: Int, rowShift: Int,
                              kernel: ResampleKernel, destination: UnsafeMutablePointer<UInt8>) {
    let outHeight = kernel.first.count
    let rowBytes = width * 3
    let shared = SharedPointers(source: source, destination: destination)
    kernel.first.withUnsafeBufferPointer { first in
        kernel.count.withUnsafeBufferPointer { count in
            kernel.weights.withUnsafeBufferPointer { weights in
                let taps = kernel.taps, precisionBits = kernel.precisionBits
                parallelRows(outHeight, work: outHeight * rowBytes * taps) { start, end in
                    // One accumulator row per worker, reused for every output row.
                    let acc = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                    defer { acc.deallocate() }
                    for yy in start..<end {
                        acc.update(repeating: 1 << (precisionBits - 1), count: rowBytes)
                        let n = count[yy]
                        let ymin = first[yy] - rowShift
                        for t in 0..<n {
                            let k = weights[yy * taps + t]
                            let row = shared.source + (ymin + t) * rowBytes
                            for i in 0..<rowBytes { acc[i] &+= Int32(row[i]) &* k }
                        }
                        let dst = shared.destination + yy * rowBytes
                        for i in 0..<rowBytes { dst[i] = clip8(acc[i], precisionBits) }
                    }
                }
            }
        }
    }
}

/// Pillow 13's `Image.resize((width, height), Image.BILINEAR)` for an 8-bit RGB image, byte for byte.
///
/// Pillow 13.0 runs the vertical pass first when the height shrinks by more than twice as many
/// pixels as the width does (`ImagingResampleInner`: `(ysize_in − ysize) > 0 && (ysize_in − ysize) >
/// (xsize_in − xsize) · 2`); each pass rounds to 8 bits, so the order changes values by ±1 (a
/// 97×301 → 96×256 resize differs from 11.3 in ~25 % of them). Otherwise it equals 11.3.
public func pillow13BilinearResize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    let shrink = image.height - height
    guard width > 0 && height > 0 && width != image.width && shrink > 0 && shrink > (image.width - width) * 2 else {
        return pillowBilinearResize(image, width: width, height: height)
    }
    let tall = pillowBilinearResize(image, width: image.width, height: height)
    return pillowBilinearResize(tall, width: width, height: height)
}

/// Pillow's `Image.resize((width, height), Image.BILINEAR)` (11.3, 12.x) for an 8-bit RGB image, byte for byte.
///
/// A non-positive target size, or an empty source, gives an all-black image of the requested size
/// (at least 0×0); Pillow would raise instead.
public func pillowBilinearResize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    separableBilinearResize(image, width: width, height: height, fixedPoint: .pillow)
}

/// Horizontal pass (only the source rows the vertical pass reads), then vertical pass, each into
/// 8 bits, as Pillow's ImagingResampleInner and torch's uint8 antialiased kernel both do.
func separableBilinearResize(_ image: RGBImage, width: Int, height: Int, fixedPoint: FixedPointWeights) -> RGBImage {
    let outWidth = max(0, width), outHeight = max(0, height)
    if outWidth == image.width && outHeight == image.height { return image }
    if outWidth == 0 || outHeight == 0 || image.width == 0 || image.height == 0 {
        return RGBImage(width: outWidth, height: outHeight)
    }
    let needHorizontal = outWidth != image.width
    let needVertical = outHeight != image.height
    let vertical = bilinearKernel(inSize: image.height, outSize: outHeight, fixedPoint: fixedPoint)
    // Rows the vertical pass reads (ImagingResampleInner's ybox_first ..< ybox_last).
    let yFirst = vertical.first[0]
    let yLast = vertical.first[outHeight - 1] + vertical.count[outHeight - 1]

    return image.pixels.withUnsafeBufferPointer { input -> RGBImage in
        guard let source = input.baseAddress else { return RGBImage(width: outWidth, height: outHeight) }
        if needHorizontal {
            let horizontal = bilinearKernel(inSize: image.width, outSize: outWidth, fixedPoint: fixedPoint)
            let rows = needVertical ? yLast - yFirst : image.height
            let offset = needVertical ? yFirst : 0
            var temp = [UInt8](repeating: 0, count: rows * outWidth * 3)
            temp.withUnsafeMutableBufferPointer { t in
                resampleHorizontal(source: source, inWidth: image.width, rowOffset: offset, rows: rows,
                                   kernel: horizontal, destination: t.baseAddress!)
            }
            if !needVertical { return RGBImage(unchecked: outWidth, outHeight, temp) }
            var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
            temp.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    resampleVertical(source: t.baseAddress!, width: outWidth, rowShift: yFirst,
                                     kernel: vertical, destination: o.baseAddress!)
                }
            }
            return RGBImage(unchecked: outWidth, outHeight, out)
        }
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        out.withUnsafeMutableBufferPointer { o in
            resampleVertical(source: source, width: image.width, rowShift: 0, kernel: vertical,
                             destination: o.baseAddress!)
        }
        return RGBImage(unchecked: outWidth, outHeight, out)
    }
}
