// Throughput of the 512-bit integer operations an XNOR-popcount kernel can be built from, on one core:
// twelve independent chains of each operation, so that only the issue rate is timed. The clock is taken
// from a chain of dependent scalar adds (one per cycle), and each rate is printed per second and per cycle.
// On the AMD EPYC (Zen 4) machine of the README: xor, add and vpternlogq about 2 per cycle, vpopcntq 1,
// so xor + popcount + add on 512 bits costs 1.5 cycles however it is arranged, and a Harley-Seal adder
// tree (an xor and about two vpternlogq per word) costs the same.
//
//   clang -O2 -march=native scripts/zmm-throughput.c -o /tmp/zmm-throughput && /tmp/zmm-throughput
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { iterations = 100000000 };

static double clockGHz;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Twelve chains v_i = OP(v_i), kept in registers by an empty asm statement each iteration.
#define MEASURE(NAME, OP)                                                                                   \
    {                                                                                                       \
        __m512i v0 = _mm512_set1_epi64(1), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0, v6 = v0, v7 = v0,   \
                v8 = v0, v9 = v0, v10 = v0, v11 = v0, k = _mm512_set1_epi64(3);                             \
        (void)k;                                                                                            \
        double start = seconds();                                                                           \
        for (long i = 0; i < iterations; i++) {                                                             \
            v0 = OP(v0); v1 = OP(v1); v2 = OP(v2); v3 = OP(v3); v4 = OP(v4); v5 = OP(v5);                   \
            v6 = OP(v6); v7 = OP(v7); v8 = OP(v8); v9 = OP(v9); v10 = OP(v10); v11 = OP(v11);               \
            __asm__ volatile("" : "+v"(v0), "+v"(v1), "+v"(v2), "+v"(v3), "+v"(v4), "+v"(v5),               \
                                  "+v"(v6), "+v"(v7), "+v"(v8), "+v"(v9), "+v"(v10), "+v"(v11));            \
        }                                                                                                   \
        double elapsed = seconds() - start;                                                                 \
        long long lanes[8];                                                                                 \
        _mm512_storeu_si512(lanes, _mm512_add_epi64(v0, v11));                                              \
        double rate = 12.0 * iterations / elapsed / 1e9;                                                    \
        printf("%-10s %.2f G/s  %.2f per cycle (checksum %lld)\n", NAME, rate, rate / clockGHz, lanes[0]);  \
    }

#define XOR(v) _mm512_xor_si512(v, k)
#define ADD(v) _mm512_add_epi64(v, k)
#define POPCNT(v) _mm512_popcnt_epi64(v)
#define TERNLOG(v) _mm512_ternarylogic_epi64(v, k, k, 0x96)

int main(void) {
    long chain = 0;
    double start = seconds();
    for (long i = 0; i < iterations * 4L; i++) __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(chain));
    clockGHz = 16.0 * iterations / (seconds() - start) / 1e9;
    printf("clock      %.2f GHz (dependent adds, checksum %ld)\n", clockGHz, chain);
    MEASURE("vpxorq", XOR)
    MEASURE("vpaddq", ADD)
    MEASURE("vpopcntq", POPCNT)
    MEASURE("vpternlogq", TERNLOG)
    return 0;
}
