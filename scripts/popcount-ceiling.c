// The one-core ceiling of XNOR-popcount on this CPU, written with AVX-512 intrinsics in C so that it
// does not depend on how Swift compiles `XNORKernels`. Prints three things:
//
// - the clock, from a chain of dependent scalar adds (one per cycle);
// - the issue rate of each 512-bit operation a kernel can be built from (twelve independent chains of
//   it, so that only the issue rate is timed), per second and per cycle;
// - the rate of the GEMM's 4 x 4 tile of 512-bit vectors (4 rows of A broadcast against 32 columns of
//   B, xor + vpopcntq + add per vector) in binary MACs per second (M x N x K bits per run), cycling
//   over PANELS panels of B (1 by default: operands in L1; 14 is the GEMM's 258 KB chunk, in L2).
//
//   clang -O3 -march=native scripts/popcount-ceiling.c -o /tmp/popcount-ceiling && /tmp/popcount-ceiling
//   clang -O3 -march=native -DPANELS=14 scripts/popcount-ceiling.c -o /tmp/popcount-ceiling-l2 && /tmp/popcount-ceiling-l2
//
// (clang ships with the Swift toolchain, so nothing beyond `make setup` is needed.)
//
// Each step of 64 bits of K costs 16 xor, 16 popcount and 16 add on 512-bit vectors. On the AMD EPYC
// (Zen 4) of docs/performance.md#machines, xor, add and vpternlogq issue about 2 per cycle and vpopcntq 1, so a step takes
// at least 24 cycles for 4 x 32 x 64 = 8,192 binary MACs, about 341 per cycle; a Harley-Seal adder tree
// (an xor and about two vpternlogq per word) costs the same.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#ifndef PANELS
#define PANELS 1
#endif

enum { words = 72, rows = 4, columns = 32, repeats = 200000, chainIterations = 100000000 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double clockGHz(void) {
    long chain = 0;
    double start = seconds();
    for (long i = 0; i < 4L * chainIterations; i++)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(chain));
    return 16.0 * chainIterations / (seconds() - start) / 1e9;
}

// Twelve chains v_i = OP(v_i), kept in registers by an empty asm statement each iteration.
#define ISSUE_RATE(NAME, OP, GHZ)                                                                           \
    {                                                                                                       \
        __m512i v0 = _mm512_set1_epi64(1), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0, v6 = v0, v7 = v0,   \
                v8 = v0, v9 = v0, v10 = v0, v11 = v0, k = _mm512_set1_epi64(3);                             \
        (void)k;                                                                                            \
        double start = seconds();                                                                           \
        for (long i = 0; i < chainIterations; i++) {                                                        \
            v0 = OP(v0); v1 = OP(v1); v2 = OP(v2); v3 = OP(v3); v4 = OP(v4); v5 = OP(v5);                   \
            v6 = OP(v6); v7 = OP(v7); v8 = OP(v8); v9 = OP(v9); v10 = OP(v10); v11 = OP(v11);               \
            __asm__ volatile("" : "+v"(v0), "+v"(v1), "+v"(v2), "+v"(v3), "+v"(v4), "+v"(v5),               \
                                  "+v"(v6), "+v"(v7), "+v"(v8), "+v"(v9), "+v"(v10), "+v"(v11));            \
        }                                                                                                   \
        double rate = 12.0 * chainIterations / (seconds() - start) / 1e9;                                   \
        long long lanes[8];                                                                                 \
        _mm512_storeu_si512(lanes, _mm512_add_epi64(v0, v11));                                              \
        printf("%-10s %.2f G/s, %.2f per cycle (checksum %lld)\n", NAME, rate, rate / (GHZ), lanes[0]);    \
    }

#define XOR(v) _mm512_xor_si512(v, k)
#define ADD(v) _mm512_add_epi64(v, k)
#define POPCNT(v) _mm512_popcnt_epi64(v)
#define TERNLOG(v) _mm512_ternarylogic_epi64(v, k, k, 0x96)

int main(void) {
    double ghz = clockGHz();
    printf("clock      %.2f GHz (dependent adds)\n", ghz);
    ISSUE_RATE("vpxorq", XOR, ghz)
    ISSUE_RATE("vpaddq", ADD, ghz)
    ISSUE_RATE("vpopcntq", POPCNT, ghz)
    ISSUE_RATE("vpternlogq", TERNLOG, ghz)

    static uint64_t a[rows * words] __attribute__((aligned(64)));
    static uint64_t b[PANELS * words * columns] __attribute__((aligned(64)));
    for (int i = 0; i < rows * words; i++) a[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < PANELS * words * columns; i++) b[i] = (uint64_t)i * 0xD1B54A32D192ED03ull;
    __m512i checksum = _mm512_setzero_si512();
    double best = 0;
    for (int trial = 0; trial < 5; trial++) {
        double start = seconds();
        for (long r = 0; r < repeats; r++) {
            __m512i c[rows][4];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < 4; j++) c[i][j] = _mm512_setzero_si512();
            const uint64_t *panels = b + (r % PANELS) * words * columns;
            for (int w = 0; w < words; w++) {
                const uint64_t *panel = panels + w * columns;
                __m512i b0 = _mm512_load_si512(panel), b1 = _mm512_load_si512(panel + 8);
                __m512i b2 = _mm512_load_si512(panel + 16), b3 = _mm512_load_si512(panel + 24);
                for (int i = 0; i < rows; i++) {
                    __m512i x = _mm512_set1_epi64((long long)a[i * words + w]);
                    c[i][0] = _mm512_add_epi64(c[i][0], _mm512_popcnt_epi64(_mm512_xor_si512(x, b0)));
                    c[i][1] = _mm512_add_epi64(c[i][1], _mm512_popcnt_epi64(_mm512_xor_si512(x, b1)));
                    c[i][2] = _mm512_add_epi64(c[i][2], _mm512_popcnt_epi64(_mm512_xor_si512(x, b2)));
                    c[i][3] = _mm512_add_epi64(c[i][3], _mm512_popcnt_epi64(_mm512_xor_si512(x, b3)));
                }
            }
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < 4; j++) checksum = _mm512_add_epi64(checksum, c[i][j]);
        }
        double rate = (double)repeats * words * 64 * rows * columns / (seconds() - start);
        if (rate > best) best = rate;
    }
    long long lanes[8];
    _mm512_storeu_si512(lanes, checksum);
    printf("4 x 4 tile over %d panel(s), best of 5: %.3f T binary MAC/s on one core (checksum %lld)\n", PANELS, best / 1e12, lanes[0]);
    return 0;
}
