// What bounds a sum of rows: the same loop over rows of B kept in L1, in L2 with rows on cache
// lines, and in L2 with the rows of W as the trainer stores them (500 floats apart, so a 64-column
// segment straddles five cache lines instead of four).
//
// The loop is the shape of `gather_tile` in Sources/CRBMKernels/binary_products.c at its widest:
// for each row of C, 64 columns at a time in eight AVX2 accumulators, add the rows of B that the
// row's ones select (a random 13 % of 784, binarized MNIST's density). It is not the project's
// kernel (no references, no momentum rule), only its memory pattern, so that the three cases
// differ in where B lives and nothing else.
//
//     make bench-sums   (cc -O2 -o .build/sums-of-rows-bound scripts/sums-of-rows-bound.c, then runs it)
//
// Prints, per case and round, µs per product (100 rows of C × 256 columns) and vector adds per
// ns; the rounds alternate the cases so that a shared host's drift falls on all of them alike.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t state = 88172645463325252ull;
static double uniform(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (state >> 11) * (1.0 / 9007199254740992.0);
}

// C[i, 0..<n] = Σ_{q in list i} B[q, 0..<n], n a multiple of 64.
__attribute__((target("avx2"), noinline))
static void sums_of_rows(const int32_t *lists, const int32_t *offsets, long m, const float *b, long ldb, long n,
                         float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        const int32_t *list = lists + offsets[i];
        const int32_t count = offsets[i + 1] - offsets[i];
        for (long j = 0; j < n; j += 64) {
            __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int32_t t = 0; t < count; t++) {
                const float *row = b + j + (long)list[t] * ldb;
                s0 = _mm256_add_ps(s0, _mm256_loadu_ps(row));
                s1 = _mm256_add_ps(s1, _mm256_loadu_ps(row + 8));
                s2 = _mm256_add_ps(s2, _mm256_loadu_ps(row + 16));
                s3 = _mm256_add_ps(s3, _mm256_loadu_ps(row + 24));
                s4 = _mm256_add_ps(s4, _mm256_loadu_ps(row + 32));
                s5 = _mm256_add_ps(s5, _mm256_loadu_ps(row + 40));
                s6 = _mm256_add_ps(s6, _mm256_loadu_ps(row + 48));
                s7 = _mm256_add_ps(s7, _mm256_loadu_ps(row + 56));
            }
            float *out = c + i * ldc + j;
            _mm256_storeu_ps(out, s0);
            _mm256_storeu_ps(out + 8, s1);
            _mm256_storeu_ps(out + 16, s2);
            _mm256_storeu_ps(out + 24, s3);
            _mm256_storeu_ps(out + 32, s4);
            _mm256_storeu_ps(out + 40, s5);
            _mm256_storeu_ps(out + 48, s6);
            _mm256_storeu_ps(out + 56, s7);
        }
    }
}

typedef struct {
    const char *name;
    long rows_of_b, ldb;
} product_case;

int main(void) {
    if (!__builtin_cpu_supports("avx2")) {
        fprintf(stderr, "sums-of-rows-bound: this CPU has no AVX2, the instructions the kernel measured here uses\n");
        return 1;
    }
    const long m = 100, n = 256, visible = 784;
    const product_case cases[] = {
        {"L1: 32 rows of B (32 KB)", 32, 256},
        {"L2: 784 rows, 512 floats apart (on cache lines)", 784, 512},
        {"L2: 784 rows, 500 floats apart (W as stored)", 784, 500},
    };
    const int case_count = sizeof cases / sizeof cases[0];
    float *b = aligned_alloc(64, sizeof(float) * 784 * 512), *c = aligned_alloc(64, sizeof(float) * m * 512);
    for (long i = 0; i < 784 * 512; i++) b[i] = (float)uniform() - 0.5f;
    // One list of ones per row of C, the same for every case (row q of B read as q mod its rows).
    int32_t *offsets = malloc(sizeof(int32_t) * (m + 1)), *ones = malloc(sizeof(int32_t) * m * visible);
    long total = 0;
    for (long i = 0; i < m; i++) {
        offsets[i] = (int32_t)total;
        for (long q = 0; q < visible; q++)
            if (uniform() < 0.13) ones[total++] = (int32_t)q;
    }
    offsets[m] = (int32_t)total;
    int32_t *lists[3];
    for (int k = 0; k < case_count; k++) {
        lists[k] = malloc(sizeof(int32_t) * total);
        for (long t = 0; t < total; t++) lists[k][t] = (int32_t)(ones[t] % cases[k].rows_of_b);
    }
    const double vector_adds = (double)total * n / 8;
    printf("%ld rows of C × %ld columns, %ld ones (%.1f %%): %.0f vector adds per product\n", m, n, total,
           100.0 * total / (m * visible), vector_adds);
    const int repetitions = 2000;
    for (int round = 1; round <= 3; round++) {
        for (int k = 0; k < case_count; k++) {
            sums_of_rows(lists[k], offsets, m, b, cases[k].ldb, n, c, 512);
            const double start = now();
            for (int r = 0; r < repetitions; r++) sums_of_rows(lists[k], offsets, m, b, cases[k].ldb, n, c, 512);
            const double microseconds = (now() - start) / repetitions * 1e6;
            printf("round %d  %-50s %7.1f µs  %.2f vector adds/ns\n", round, cases[k].name, microseconds,
                   vector_adds / (microseconds * 1e3));
        }
    }
    return 0;
}
