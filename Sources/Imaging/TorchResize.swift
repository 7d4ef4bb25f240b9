// torchvision's `resize(uint8 tensor, size, BILINEAR, antialias=True)` on the CPU, byte for byte: what
// transformers 5.x's Mask2Former image processor (torchvision backend) runs.
//
// torch's uint8 antialiased kernel (aten/src/ATen/native/cpu/UpSampleKernel.cpp,
// `upsample_avx_bilinear_bicubic_uint8` and `compute_index_ranges_int16_weights`) is Pillow's
// two-pass scheme with the same double weights (`_compute_index_ranges_weights`: center
// scale·(i + 0.5), support max(scale, 1), triangle filter, normalised), turned into int16 with as
// many fraction bits as keep the largest weight below 2^15 (Pillow always uses 22), horizontal pass
// into uint8, then vertical pass, each output (2^(bits−1) + Σ sample·w) >> bits clamped to 0…255.
// Checked against torch 2.13 + torchvision 0.28 by Tests/Fixtures/preprocessing (ImagingTests).

/// torchvision's antialiased bilinear resize of an 8-bit RGB image (what `tvF.resize` returns for
/// a `[3, H, W]` uint8 tensor on the CPU). Non-positive sizes give an empty image, as in Pillow's port.
public func torchBilinearAntialiasResize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    separableBilinearResize(image, width: width, height: height, fixedPoint: .torchInt16)
}
