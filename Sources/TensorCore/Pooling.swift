// Max pooling, as ResNet's stem uses it.

/// `nn.MaxPool2d(kernel, stride, padding)` on `x [C, H, W]`: padded positions never win (PyTorch pads
/// with −∞), so every window holds at least one real value when `padding < kernel`.
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
    precondition(x.rank == 3 && kernel > 0 && stride > 0 && padding >= 0 && padding < kernel,
                 "maxPool2d: input \(x.shape), kernel \(kernel), stride \(stride), padding \(padding)")
    let channels = x.shape[0], height = x.shape[1], width = x.shape[2]
    let outHeight = (height + 2 * padding - kernel) / stride + 1
    let outWidth = (width + 2 * padding - kernel) / stride + 1
    return Tensor(shape: [channels, outHeight, outWidth]) { out in
        x.withUnsafeBufferPointer { xp in
            let src = xp.baseAddress!
            let dst = SendablePointer(out.baseAddress!)
            parallelFor(channels) { range in
                for c in range {
                    let plane = src + c * height * width
                    let target = dst.pointer + c * outHeight * outWidth
                    for oy in 0..<outHeight {
                        let y0 = max(0, oy * stride - padding), y1 = min(height, oy * stride - padding + kernel)
                        for ox in 0..<outWidth {
                            let x0 = max(0, ox * stride - padding), x1 = min(width, ox * stride - padding + kernel)
                            var best = -Float.infinity
                            for y in y0..<y1 {
                                for x in x0..<x1 where plane[y * width + x] > best || plane[y * width + x].isNaN {
                                    best = plane[y * width + x]
                                }
                            }
                            target[oy * outWidth + ox] = best
                        }
                    }
                }
            }
        }
    }
}
