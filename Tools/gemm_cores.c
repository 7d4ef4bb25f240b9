// The system OpenBLAS's sgemm on Swin-T/Swin-L model shapes, single-threaded, for whichever kernels
// it loaded: compare cores by running it under different OPENBLAS_CORETYPE values (issue 13).
//
//   gcc -O2 Tools/gemm_cores.c -lopenblas -o /tmp/gemm_cores
//   for c in "" SkylakeX Haswell Prescott; do OPENBLAS_CORETYPE=$c /tmp/gemm_cores; done
//
// Prints the core OpenBLAS chose and GFLOP/s per shape (best of 5), row-major C = A·Bᵀ as the model's
// linear layers issue it (weights [N, K]). Timed in thread CPU time, so that on a shared machine the
// time the thread sat descheduled does not count (caches shared with other work still do).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

char *openblas_get_corename(void);
void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// M tokens × N outputs × K inputs; one row-half of each (the model splits rows over 2 cores).
static const struct { const char *name; int m, n, k; } shapes[] = {
    {"Swin-T s1 qkv 384²", 4608, 288, 96},   {"Swin-T s1 fc2 384²", 4608, 96, 384},
    {"Swin-T s2 fc1 384²", 1152, 768, 192},  {"Swin-T s3 qkv 384²", 288, 1152, 384},
    {"Swin-T s3 fc1 384²", 288, 1536, 384},  {"Swin-T s3 fc2 384²", 288, 384, 1536},
    {"Swin-T s1 fc1 800×1088", 27200, 384, 96}, {"Swin-T s3 fc1 800×1088", 1700, 1536, 384},
    {"pixel dec FFN 384²", 1512, 1024, 256}, {"Swin-L s1 fc1 384²", 4608, 768, 192},
    {"Swin-L s3 fc1 384²", 288, 3072, 768},  {"Swin-L s3 fc2 384²", 288, 768, 3072},
    {"square 1024³", 1024, 1024, 1024},
};

int main(void) {
    openblas_set_num_threads(1);
    printf("OpenBLAS core %s, 1 thread, GFLOP/s per thread-CPU-second\n", openblas_get_corename());
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k), *c = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < (long)n * k; i++) b[i] = (float)(i % 5) * 0.1f;
        double best = 1e9;
        for (int r = 0; r < 5; r++) {
            double t = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
            t = now() - t;
            if (t < best) best = t;
        }
        printf("%-24s %6d×%5d×%5d  %7.1f GFLOP/s\n", shapes[s].name, m, n, k, 2.0 * m * n * k / best / 1e9);
        free(a); free(b); free(c);
    }
    return 0;
}
