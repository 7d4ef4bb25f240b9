// Single-precision GEMM against weights packed once at load: C = A · Wᵀ (+ bias), the shape of every
// linear layer (A [m, k] activations row-major, W [n, k] an nn.Linear weight).
//
// Why our own: OpenBLAS packs W again on every call (11 % of a Swin-L forward) and runs the model's
// narrow-M shapes at ~73 % of the FMA peak. Here W is packed once into column panels, the kernels are
// chosen at run time from the CPU (AVX-512 or AVX2+FMA, whatever the compiler was told), and each call
// only packs the activations it reads. Docs/ARCHITECTURE.md, "GEMM".
#ifndef MASKSCOPE_PACKED_GEMM_H
#define MASKSCOPE_PACKED_GEMM_H
#include <stddef.h>

// Instruction sets with a kernel, numbered as TensorCore's VectorISA.
enum { MASKSCOPE_GEMM_AVX2 = 2, MASKSCOPE_GEMM_AVX512 = 3 };

// Columns of W per packed panel (32 for AVX-512, 16 for AVX2); 0 when `isa` has no kernel here.
long maskscope_gemm_panel_width(int isa);

// Activation rows each micro-kernel call computes (12 for AVX-512, 6 for AVX2): the unit to split rows by.
long maskscope_gemm_tile_rows(int isa);

// Floats the packed form of an n × k weight takes: ceil(n / width) panels of k × width.
size_t maskscope_gemm_packed_count(int isa, long n, long k);

// Packs W [n, k] (row stride ldw) into `packed` (64-byte aligned, maskscope_gemm_packed_count floats):
// panel p holds, for each of the k inputs, the weights of outputs p·width ..< (p+1)·width; zero padded.
void maskscope_gemm_pack(int isa, const float *w, long n, long k, long ldw, float *packed);

// C[rows, columns] for rows m0 ..< m1 and the columns of panels p0 ..< p1 (clipped to n):
// C = A · Wᵀ + bias (bias may be NULL; C is only written, never read before).
// Single-threaded; callers split rows or panels between threads (the results do not depend on the split).
// Returns 0, -1 when `isa` has no kernel here, -2 when the per-thread workspace (< 1 MB) cannot be allocated.
int maskscope_gemm_packed(int isa, long n, long k,
                           const float *a, long lda, const float *packed, const float *bias,
                           float *c, long ldc, long m0, long m1, long p0, long p1);

#endif
