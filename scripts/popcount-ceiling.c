// The one-core ceiling of XNOR-popcount on this CPU, written with AVX-512 intrinsics in C so that it
// does not depend on how Swift compiles `XNORKernels`: the same 4 x 4 tile of 512-bit vectors (4 rows
// of A broadcast against 32 columns of B, xor + vpopcntq + add per vector), on operands that stay in
// L1, so nothing but the arithmetic is timed. Prints binary MACs per second (M x N x K bits per run).
//
//   clang -O3 -march=native scripts/popcount-ceiling.c -o /tmp/popcount-ceiling && /tmp/popcount-ceiling
//
// (clang ships with the Swift toolchain, so nothing beyond the README's setup is needed.)
//
// Each step of 64 bits of K costs 16 xor, 16 popcount and 16 add on 512-bit vectors; with two vector
// ports for 512-bit integer work (and vpopcntq on one of them) that is at least 24 cycles for
// 4 x 32 x 64 = 8,192 binary MACs, about 341 per cycle.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum { words = 72, rows = 4, columns = 32, repeats = 200000 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    static uint64_t a[rows * words] __attribute__((aligned(64)));
    static uint64_t b[words * columns] __attribute__((aligned(64)));
    for (int i = 0; i < rows * words; i++) a[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < words * columns; i++) b[i] = (uint64_t)i * 0xD1B54A32D192ED03ull;
    __m512i checksum = _mm512_setzero_si512();
    double best = 0;
    for (int trial = 0; trial < 5; trial++) {
        double start = seconds();
        for (long r = 0; r < repeats; r++) {
            __m512i c[rows][4];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < 4; j++) c[i][j] = _mm512_setzero_si512();
            for (int w = 0; w < words; w++) {
                const uint64_t *panel = b + w * columns;
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
    printf("best of 5: %.3f T binary MAC/s on one core (checksum %lld)\n", best / 1e12, lanes[0]);
    return 0;
}
