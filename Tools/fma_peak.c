// The machine's fp32 FMA peak, the hard ceiling for any GEMM (and so for `maskscope bench`'s
// "share of the GEMM limit"): 12 independent chains of 512-bit FMAs per thread, registers only.
//
//   gcc -O3 -funroll-all-loops -march=native -pthread Tools/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak [THREADS]
//
// Prints GFLOP/s (2 per FMA lane) per thread and in total. Needs AVX-512F.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const long ITERATIONS = 200000000;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *spin(void *result) {
    __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2), a3 = _mm512_set1_ps(3),
           a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5), a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7),
           a8 = _mm512_set1_ps(8), a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
    const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    double start = now();
    for (long k = 0; k < ITERATIONS; k++) {
        // 12 chains: enough to cover FMA latency × pipes on current x86 cores.
        a0 = _mm512_fmadd_ps(a0, b, c); a1 = _mm512_fmadd_ps(a1, b, c); a2 = _mm512_fmadd_ps(a2, b, c);
        a3 = _mm512_fmadd_ps(a3, b, c); a4 = _mm512_fmadd_ps(a4, b, c); a5 = _mm512_fmadd_ps(a5, b, c);
        a6 = _mm512_fmadd_ps(a6, b, c); a7 = _mm512_fmadd_ps(a7, b, c); a8 = _mm512_fmadd_ps(a8, b, c);
        a9 = _mm512_fmadd_ps(a9, b, c); a10 = _mm512_fmadd_ps(a10, b, c); a11 = _mm512_fmadd_ps(a11, b, c);
    }
    double seconds = now() - start;
    __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                               _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    volatile float sink = _mm512_reduce_add_ps(sum);  // keeps the loop from being optimised away
    (void)sink;
    *(double *)result = 12.0 * 16 * 2 * ITERATIONS / seconds / 1e9;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 256) threads = 2;
    pthread_t ids[256];
    double rates[256];
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, spin, &rates[i]);
    double total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        printf("thread %d: %.1f GFLOP/s\n", i, rates[i]);
        total += rates[i];
    }
    printf("fp32 FMA peak, %d threads: %.1f GFLOP/s\n", threads, total);
    return 0;
}
