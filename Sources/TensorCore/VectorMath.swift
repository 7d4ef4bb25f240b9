// exp and erf written branch-free so LLVM's loop vectorizer turns the loops that call them into
// AVX2 code (Swift's generic SIMD16 types compiled to per-lane loops with stack spills instead).
// The scalar libm calls were ~8% of a Swin-T forward (GELU's erff, expf in every softmax).
// Accuracy: exp within 2 ulp (Cephes' expf polynomial), erf within 3e-7 absolute; the kernel
// tests compare both with libm.

/// e^x; 0 below −87.3 (so exp(−∞) is exactly 0, which masked softmax relies on).
@inline(__always)
public func fastExp(_ input: Float) -> Float {
    var x = Swift.min(Swift.max(input, -87.33654), 88.72283)
    // x = n·ln2 + r with |r| ≤ ln2/2. Adding 1.5·2^23 rounds x·log2(e) to an integer held in the low
    // mantissa bits, so no float → int conversion is needed.
    let shifted = x * 1.44269504088896341 + 12_582_912
    let n = shifted - 12_582_912
    x = x - n * 0.693359375
    x = x - n * -2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * x + 1.3981999507e-3
    p = p * x + 8.3334519073e-3
    p = p * x + 4.1665795894e-2
    p = p * x + 1.6666665459e-1
    p = p * x + 5.0000001201e-1
    p = p * x * x + x + 1
    let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
    let scale = Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
    return input < -87.3 ? 0 : p * scale
}

/// erf(x), from Numerical Recipes' Chebyshev erfc (relative error < 1.2e-7).
@inline(__always)
public func fastErf(_ x: Float) -> Float {
    let a = Swift.abs(x)
    // erfc(a) = t·exp(−a² + P(t)), t = 1/(1 + a/2).
    let t = 1 / (1 + 0.5 * a)
    var p: Float = 0.17087277
    p = p * t - 0.82215223
    p = p * t + 1.48851587
    p = p * t - 1.13520398
    p = p * t + 0.27886807
    p = p * t - 0.18628806
    p = p * t + 0.09678418
    p = p * t + 0.37409196
    p = p * t + 1.00002368
    p = p * t - 1.26551223
    let erf = 1 - t * fastExp(p - a * a)
    return x < 0 ? -erf : erf
}
