// The linear layers' GEMM on the model's shapes, single-threaded: OpenBLAS (whatever core it loaded)
// against Maskscope's packed-weight kernels (Sources/CGEMM), AVX-512 and AVX2, alternating (issue 13).
//
//   clang -O2 -ISources/CGEMM/include Tools/gemm_packed.c Sources/CGEMM/packed_gemm.c -lopenblas -lm -lpthread -o /tmp/gemm_packed
//   /tmp/gemm_packed                            # OpenBLAS as loaded vs the packed kernels
//   OPENBLAS_CORETYPE=Haswell /tmp/gemm_packed  # against OpenBLAS's AVX2 kernels
//
// C = A·Wᵀ + bias, A [M, K] row-major, W [N, K] (an nn.Linear weight, packed once outside the timing as
// the model does at load); M is one core's half of the rows. GFLOP/s per thread-CPU-second, the median
// of 7 alternating runs, so time spent descheduled on a shared machine does not count. Also prints the
// largest difference between the two results (they sum in different orders).
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "packed_gemm.h"

char *openblas_get_corename(void);
void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const struct { const char *name; int m, n, k; } shapes[] = {
    {"Swin-T s1 qkv 384²", 4608, 288, 96},   {"Swin-T s1 fc2 384²", 4608, 96, 384},
    {"Swin-T s2 fc1 384²", 1152, 768, 192},  {"Swin-T s3 qkv 384²", 288, 1152, 384},
    {"Swin-T s3 fc1 384²", 288, 1536, 384},  {"Swin-T s3 fc2 384²", 288, 384, 1536},
    {"Swin-T s1 fc1 800×1088", 27200, 384, 96}, {"Swin-T s3 fc1 800×1088", 1700, 1536, 384},
    {"pixel dec FFN1 384²", 1512, 1024, 256}, {"pixel dec FFN2 384²", 1512, 256, 1024},
    {"decoder 200 queries", 100, 256, 256},  {"Swin-L s1 fc1 384²", 4608, 768, 192},
    {"Swin-L s3 qkv 384²", 288, 2304, 768},  {"Swin-L s3 fc1 384²", 288, 3072, 768},
    {"Swin-L s3 fc2 384²", 288, 768, 3072},  {"Swin-L s4 fc1 384²", 72, 6144, 1536},
};
enum { RUNS = 7 };

int main(void) {
    openblas_set_num_threads(1);
    __builtin_cpu_init();
    int kernels[2], count = 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl")) kernels[count++] = MASKSCOPE_GEMM_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) kernels[count++] = MASKSCOPE_GEMM_AVX2;
    printf("OpenBLAS core %s; 1 thread; GFLOP/s per thread-CPU-second, median of %d alternating runs\n",
           openblas_get_corename(), RUNS);
    printf("%-24s %-16s %9s", "shape", "M×N×K", "OpenBLAS");
    for (int i = 0; i < count; i++) printf(" %15s", kernels[i] == MASKSCOPE_GEMM_AVX512 ? "packed AVX-512" : "packed AVX2");
    printf("  max |Δ|\n");
    srand(1);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const long m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
        float *a = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k), *bias = malloc(sizeof(float) * n);
        float *c = malloc(sizeof(float) * m * n), *c2 = malloc(sizeof(float) * m * n);
        for (long i = 0; i < m * k; i++) a[i] = (rand() % 2001 - 1000) / 1000.f;
        for (long i = 0; i < n * k; i++) w[i] = (rand() % 2001 - 1000) / 1000.f;
        for (long i = 0; i < n; i++) bias[i] = (rand() % 2001 - 1000) / 1000.f;
        float *packed[2];
        for (int i = 0; i < count; i++) {
            size_t floats = maskscope_gemm_packed_count(kernels[i], n, k);
            packed[i] = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
            maskscope_gemm_pack(kernels[i], w, n, k, k, packed[i]);
        }
        double times[3][RUNS], largest = 0;
        for (int r = 0; r < RUNS; r++) {
            double t = now();
            for (long i = 0; i < m; i++) for (long j = 0; j < n; j++) c[i * n + j] = bias[j];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, w, k, 1, c, n);
            times[0][r] = now() - t;
            for (int i = 0; i < count; i++) {
                t = now();
                maskscope_gemm_packed(kernels[i], n, k, a, k, packed[i], bias, c2, n, 0, m, 0, n);
                times[i + 1][r] = now() - t;
                for (long e = 0; e < m * n; e++) largest = fmax(largest, fabs((double)c[e] - c2[e]));
            }
        }
        char size[32];
        snprintf(size, sizeof size, "%ld×%ld×%ld", m, n, k);
        printf("%-24s %-18s", shapes[s].name, size);
        for (int i = 0; i <= count; i++) {
            qsort(times[i], RUNS, sizeof(double), compare);
            printf(i == 0 ? " %7.1f" : " %15.1f", 2.0 * m * n * k / times[i][RUNS / 2] / 1e9);
        }
        printf("  %.1e\n", largest);
        for (int i = 0; i < count; i++) free(packed[i]);
        free(a); free(w); free(bias); free(c); free(c2);
    }
    return 0;
}
