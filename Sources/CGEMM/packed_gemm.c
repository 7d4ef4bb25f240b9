// Packed-weight SGEMM kernels (see include/packed_gemm.h). Blocking follows BLIS (Van Zee & van de Geijn,
// "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", and its skx/haswell configurations):
// the weights are the vector operand (a panel of `width` outputs streamed from L2), the activations the
// broadcast operand (a micro-panel of MR rows × KC inputs, packed per call, kept in L1), and C is
// updated MR × width at a time. Each ISA's functions carry their own target attribute, so the file
// builds for any x86-64 and the caller picks the kernel by CPUID.

#include "packed_gemm.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

typedef struct {
    long mr;      // activation rows per micro-kernel call (broadcast operand)
    long width;   // weight outputs per panel (vector operand)
    long kc;      // inputs per block: an activation micro-panel (MR × KC floats) stays in L1
    long ncp;     // weight panels per block: their KC slices (ncp × KC × width floats) stay in L2
    long mc;      // activation rows packed per block (a multiple of mr)
} Blocking;

static const Blocking avx512Blocking = { 12, 32, 384, 12, 480 };   // 18 KB in L1, 576 KB in L2
static const Blocking avx2Blocking = { 6, 16, 256, 12, 480 };      // 6 KB in L1, 192 KB in L2

static const Blocking *blocking(int isa) {
    switch (isa) {
    case MASKSCOPE_GEMM_AVX512: return &avx512Blocking;
    case MASKSCOPE_GEMM_AVX2: return &avx2Blocking;
    default: return NULL;
    }
}

// MARK: micro-kernels: C[MR, width] (=, += or = … + bias) the product of a packed activation micro-panel
// (kc × MR) and a packed weight panel (kc × width).

#define AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma,avx2")))
#define AVX2_TARGET __attribute__((target("avx2,fma")))

AVX512_TARGET
static void kernel12x32(long kc, const float *restrict ap, const float *restrict wp,
                        float *restrict c, long ldc, const float *restrict bias, int accumulate) {
#define DECLARE(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps();
    DECLARE(0) DECLARE(1) DECLARE(2) DECLARE(3) DECLARE(4) DECLARE(5)
    DECLARE(6) DECLARE(7) DECLARE(8) DECLARE(9) DECLARE(10) DECLARE(11)
#undef DECLARE
    // As BLIS's skx kernel: the C tile fetched while the products run, the weight panel 16 inputs ahead
    // (+2 % on the model's shapes, Tools/gemm_packed.c).
    for (int i = 0; i < 12; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    for (long p = 0; p < kc; p++) {
        _mm_prefetch((const char *)(wp + 32 * 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(wp + 32 * 16 + 16), _MM_HINT_T0);
        const __m512 w0 = _mm512_load_ps(wp), w1 = _mm512_load_ps(wp + 16);
        __m512 a;
#define ROW(i) a = _mm512_set1_ps(ap[i]); \
               c##i##_0 = _mm512_fmadd_ps(a, w0, c##i##_0); c##i##_1 = _mm512_fmadd_ps(a, w1, c##i##_1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
        ap += 12;
        wp += 32;
    }
    if (accumulate) {
#define STORE(i) _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), c##i##_0)); \
                 _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), c##i##_1));
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7) STORE(8) STORE(9) STORE(10) STORE(11)
#undef STORE
    } else if (bias) {
        const __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
#define STORE(i) _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(c##i##_0, b0)); \
                 _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(c##i##_1, b1));
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7) STORE(8) STORE(9) STORE(10) STORE(11)
#undef STORE
    } else {
#define STORE(i) _mm512_storeu_ps(c + i * ldc, c##i##_0); _mm512_storeu_ps(c + i * ldc + 16, c##i##_1);
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7) STORE(8) STORE(9) STORE(10) STORE(11)
#undef STORE
    }
}

AVX2_TARGET
static void kernel6x16(long kc, const float *restrict ap, const float *restrict wp,
                       float *restrict c, long ldc, const float *restrict bias, int accumulate) {
#define DECLARE(i) __m256 c##i##_0 = _mm256_setzero_ps(), c##i##_1 = _mm256_setzero_ps();
    DECLARE(0) DECLARE(1) DECLARE(2) DECLARE(3) DECLARE(4) DECLARE(5)
#undef DECLARE
    for (long p = 0; p < kc; p++) {
        const __m256 w0 = _mm256_load_ps(wp), w1 = _mm256_load_ps(wp + 8);
        __m256 a;
#define ROW(i) a = _mm256_broadcast_ss(ap + i); \
               c##i##_0 = _mm256_fmadd_ps(a, w0, c##i##_0); c##i##_1 = _mm256_fmadd_ps(a, w1, c##i##_1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
        ap += 6;
        wp += 16;
    }
    if (accumulate) {
#define STORE(i) _mm256_storeu_ps(c + i * ldc, _mm256_add_ps(_mm256_loadu_ps(c + i * ldc), c##i##_0)); \
                 _mm256_storeu_ps(c + i * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + i * ldc + 8), c##i##_1));
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
    } else if (bias) {
        const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
#define STORE(i) _mm256_storeu_ps(c + i * ldc, _mm256_add_ps(c##i##_0, b0)); \
                 _mm256_storeu_ps(c + i * ldc + 8, _mm256_add_ps(c##i##_1, b1));
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
    } else {
#define STORE(i) _mm256_storeu_ps(c + i * ldc, c##i##_0); _mm256_storeu_ps(c + i * ldc + 8, c##i##_1);
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
    }
}

typedef void (*MicroKernel)(long, const float *, const float *, float *, long, const float *, int);

static MicroKernel microKernel(int isa) {
    return isa == MASKSCOPE_GEMM_AVX512 ? kernel12x32 : kernel6x16;
}

// MARK: per-thread workspace for the packed activations (kept between calls: reallocating ~700 KB per
// GEMM would cost a page fault per 4 KB).

static pthread_key_t workspaceKey;
static pthread_once_t workspaceOnce = PTHREAD_ONCE_INIT;
// The capacity is kept in the 64 bytes before the data, so one free() of the block releases both.
static void freeWorkspace(void *data) { free((char *)data - 64); }
static void createWorkspaceKey(void) { pthread_key_create(&workspaceKey, freeWorkspace); }

static float *threadWorkspace(size_t floats) {
    pthread_once(&workspaceOnce, createWorkspaceKey);
    float *existing = pthread_getspecific(workspaceKey);
    if (existing && ((size_t *)existing)[-1] >= floats) return existing;
    if (existing) {
        pthread_setspecific(workspaceKey, NULL);
        freeWorkspace(existing);
    }
    char *block = aligned_alloc(64, 64 + ((floats * sizeof(float) + 63) / 64) * 64);
    if (!block) return NULL;
    float *data = (float *)(block + 64);
    ((size_t *)data)[-1] = floats;
    pthread_setspecific(workspaceKey, data);
    return data;
}

long maskscope_gemm_panel_width(int isa) {
    const Blocking *b = blocking(isa);
    return b ? b->width : 0;
}

long maskscope_gemm_tile_rows(int isa) {
    const Blocking *b = blocking(isa);
    return b ? b->mr : 0;
}

size_t maskscope_gemm_packed_count(int isa, long n, long k) {
    long width = maskscope_gemm_panel_width(isa);
    if (width == 0 || n <= 0 || k <= 0) return 0;
    return (size_t)((n + width - 1) / width) * (size_t)width * (size_t)k;
}

static long minimum(long a, long b) { return a < b ? a : b; }

// `valid` rows of A (row stride lda), `depth` inputs each, into a micro-panel: for each input, the mr
// rows' values side by side, zero past `valid`. Four rows at a time as 4 × 4 SSE transposes (every
// x86-64 has SSE2): scalar copies cost a fifth of the narrow layers' time (Swin stage 1, 96 outputs),
// and the same transpose packs the weights at load (0.8 GB for a Swin-L).
static void packActivations(const float *a, long lda, long valid, long mr, long depth, float *panel) {
    long i = 0;
    for (; i + 4 <= valid; i += 4) {
        const float *r0 = a + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;
        long p = 0;
        for (; p + 4 <= depth; p += 4) {
            __m128 x0 = _mm_loadu_ps(r0 + p), x1 = _mm_loadu_ps(r1 + p);
            __m128 x2 = _mm_loadu_ps(r2 + p), x3 = _mm_loadu_ps(r3 + p);
            _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
            _mm_storeu_ps(panel + p * mr + i, x0);
            _mm_storeu_ps(panel + (p + 1) * mr + i, x1);
            _mm_storeu_ps(panel + (p + 2) * mr + i, x2);
            _mm_storeu_ps(panel + (p + 3) * mr + i, x3);
        }
        for (; p < depth; p++) {
            panel[p * mr + i] = r0[p];
            panel[p * mr + i + 1] = r1[p];
            panel[p * mr + i + 2] = r2[p];
            panel[p * mr + i + 3] = r3[p];
        }
    }
    for (; i < mr; i++) {
        const float *row = a + i * lda;
        if (i < valid) {
            for (long p = 0; p < depth; p++) panel[p * mr + i] = row[p];
        } else {
            for (long p = 0; p < depth; p++) panel[p * mr + i] = 0;
        }
    }
}
void maskscope_gemm_pack(int isa, const float *w, long n, long k, long ldw, float *packed) {
    long width = maskscope_gemm_panel_width(isa);
    if (width == 0) return;
    // A panel is the transpose of `width` weight rows, as an activation micro-panel is of mr rows.
    for (long p0 = 0; p0 < n; p0 += width) {
        packActivations(w + p0 * ldw, ldw, n - p0 < width ? n - p0 : width, width, k, packed + (p0 / width) * width * k);
    }
}

int maskscope_gemm_packed(int isa, long n, long k,
                          const float *a, long lda, const float *packed, const float *bias,
                          float *c, long ldc, long m0, long m1, long p0, long p1) {
    const Blocking *b = blocking(isa);
    if (!b) return -1;
    const long mr = b->mr, width = b->width;
    p1 = minimum(p1, (n + width - 1) / width);
    if (m1 <= m0 || p1 <= p0 || k <= 0) return 0;
    float *workspace = threadWorkspace((size_t)(b->mc * b->kc));
    if (!workspace) return -2;
    const MicroKernel kernel = microKernel(isa);
    float tile[12 * 32] __attribute__((aligned(64)));

    for (long ic = m0; ic < m1; ic += b->mc) {
        const long rows = minimum(b->mc, m1 - ic);
        for (long pc = 0; pc < k; pc += b->kc) {
            const long depth = minimum(b->kc, k - pc);
            // Later K blocks add to what the first one stored.
            const int adding = pc > 0;

            // The activations rows ic ..< ic+rows, inputs pc ..< pc+depth, as micro-panels of mr rows:
            // for each input, the mr rows' values side by side (zero rows past the end).
            for (long ir = 0; ir < rows; ir += mr) {
                packActivations(a + (ic + ir) * lda + pc, lda, minimum(mr, rows - ir), mr, depth,
                                workspace + ir * depth);
            }

            for (long jc = p0; jc < p1; jc += b->ncp) {
                const long panelEnd = minimum(jc + b->ncp, p1);
                for (long ir = 0; ir < rows; ir += mr) {
                    const long validRows = minimum(mr, rows - ir);
                    const float *activations = workspace + ir * depth;
                    float *cRows = c + (ic + ir) * ldc;
                    for (long jr = jc; jr < panelEnd; jr++) {
                        const float *weights = packed + jr * width * k + pc * width;
                        const long column = jr * width;
                        const long validColumns = minimum(width, n - column);
                        const float *columnBias = (!adding && bias) ? bias + column : NULL;
                        if (validRows == mr && validColumns == width) {
                            kernel(depth, activations, weights, cRows + column, ldc, columnBias, adding);
                        } else {
                            // An edge tile: computed whole into `tile`, then the valid part merged with
                            // the same additions the kernel makes (so results do not depend on the split).
                            kernel(depth, activations, weights, tile, width, NULL, 0);
                            for (long i = 0; i < validRows; i++) {
                                float *out = cRows + i * ldc + column;
                                const float *t = tile + i * width;
                                for (long j = 0; j < validColumns; j++) {
                                    out[j] = adding ? out[j] + t[j] : (columnBias ? t[j] + columnBias[j] : t[j]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return 0;
}

#else
// Not x86-64: no kernel (PackedGEMM.isa is nil there, so linear layers use OpenBLAS and nothing calls these).
long maskscope_gemm_panel_width(int isa) { (void)isa; return 0; }
long maskscope_gemm_tile_rows(int isa) { (void)isa; return 0; }
size_t maskscope_gemm_packed_count(int isa, long n, long k) { (void)isa; (void)n; (void)k; return 0; }
void maskscope_gemm_pack(int isa, const float *w, long n, long k, long ldw, float *packed) {
    (void)isa; (void)w; (void)n; (void)k; (void)ldw; (void)packed;
}
int maskscope_gemm_packed(int isa, long n, long k, const float *a, long lda, const float *packed, const float *bias,
                          float *c, long ldc, long m0, long m1, long p0, long p1) {
    (void)isa; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)bias;
    (void)c; (void)ldc; (void)m0; (void)m1; (void)p0; (void)p1;
    return -1;
}
#endif
