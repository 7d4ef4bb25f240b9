// The x86 CPUID and XGETBV instructions, which Swift cannot issue itself. Header only: no library.
#include <stdint.h>

// regs = {eax, ebx, ecx, edx} of CPUID(leaf, subleaf); all zero off x86-64.
static inline void maskscope_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
#if defined(__x86_64__)
    __asm__ volatile("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3]) : "a"(leaf), "c"(subleaf));
#else
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
#endif
}

// XCR0: which register states the OS saves on a context switch (bits 1-2 SSE/AVX, 5-7 AVX-512).
// Only call it when CPUID.1:ECX.OSXSAVE is set.
static inline uint64_t maskscope_xgetbv0(void) {
#if defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}
