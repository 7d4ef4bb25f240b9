// Element-wise arithmetic and layout changes between [C, H, W] maps and [N, C] token rows.

/// `a + b` for tensors of the same shape.
public func + (a: Tensor, b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: \(a.shape) vs \(b.shape)")
    // Written in one parallel pass (copying `a` first would be a serial memcpy of the whole tensor).
    return Tensor(shape: a.shape) { out in
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                let sum = SendablePointer(out.baseAddress!)
                parallelFor(a.count, minimumChunk: 1 << 16) { range in
                    for i in range { sum.pointer[i] = ap[i] + bp[i] }
                }
            }
        }
    }
}

/// In-place `a += b` for tensors of the same shape.
public func += (a: inout Tensor, b: Tensor) {
    precondition(a.shape == b.shape, "add: \(a.shape) vs \(b.shape)")
    let count = a.count
    a.withUnsafeMutableBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            let out = SendablePointer(ap.baseAddress!)
            let inp = bp.baseAddress!
            parallelFor(count, minimumChunk: 1 << 16) { range in
                for i in range { out.pointer[i] += inp[i] }
            }
        }
    }
}

extension Tensor {
    /// Multiplies every element by `factor`.
    public mutating func scale(by factor: Float) {
        withUnsafeMutableBufferPointer { xp in
            for i in xp.indices { xp[i] *= factor }
        }
    }
}

/// Swaps the two dimensions of a matrix: `[R, C]` → `[C, R]`; used for `[C, H·W]` ↔ `[H·W, C]`.
public func transposed(_ x: Tensor) -> Tensor {
    precondition(x.rank == 2, "transposed takes a matrix, got \(x.shape)")
    let rows = x.shape[0], cols = x.shape[1]
    return Tensor(shape: [cols, rows]) { out in
        x.withUnsafeBufferPointer { xp in transpose(xp.baseAddress!, rows: rows, columns: cols, into: out.baseAddress!) }
    }
}

/// Writes the transpose of the row-major `[rows, columns]` matrix at `source` to `destination`
/// (`[columns, rows]`): `transposed` for callers that fill part of a larger buffer (the pixel
/// decoder's concatenated levels) instead of copying a whole tensor into it afterwards.
public func transpose(_ source: UnsafePointer<Float>, rows: Int, columns cols: Int, into destination: UnsafeMutablePointer<Float>) {
    let dst = SendablePointer(destination)
    // Blocked so both sides stay in cache.
    let block = 32
    let colBlocks = (cols + block - 1) / block
    parallelFor(colBlocks, minimumChunk: 4) { range in
        for cb in range {
            let c0 = cb * block, c1 = Swift.min(cols, c0 + block)
            var r0 = 0
            while r0 < rows {
                let r1 = Swift.min(rows, r0 + block)
                for c in c0..<c1 {
                    for r in r0..<r1 { dst.pointer[c * rows + r] = source[r * cols + c] }
                }
                r0 = r1
            }
        }
    }
}

/// `[C, H, W]` feature map → `[H·W, C]` tokens.
public func tokens(fromMap map: Tensor) -> Tensor {
    precondition(map.rank == 3, "tokens(fromMap:) takes [C, H, W], got \(map.shape)")
    return transposed(map.reshaped([map.shape[0], map.shape[1] * map.shape[2]]))
}

/// `[H·W, C]` tokens → `[C, H, W]` feature map.
public func map(fromTokens tokens: Tensor, height: Int, width: Int) -> Tensor {
    precondition(tokens.rank == 2 && tokens.shape[0] == height * width,
                 "map(fromTokens:) needs [\(height)·\(width), C], got \(tokens.shape)")
    return transposed(tokens).reshaped([tokens.shape[1], height, width])
}
