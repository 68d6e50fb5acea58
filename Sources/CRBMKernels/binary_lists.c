// The index lists of a 0/1 operand's rows, for the sums of rows (binary_products.c): which
// inner indices q have A[i, q] = 1, row by row, ascending.
#include "binary_lists.h"
#include "binary_references.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define RBM_HAVE_AVX2_PATH 1
#endif

/// One set of lists per thread.
static _Thread_local rbm_index_lists scratch;

/// Appends to `indices` (from `count`) base + q for each q < width with row[q] = 1.
/// Returns the new count, or -1 when an entry is neither 0 nor 1.
static long scan_row_portable(const float *row, long width, int32_t base, int32_t *indices, long count) {
    for (long q = 0; q < width; q++) {
        float value = row[q];
        if (value == 1.0f) {
            indices[count++] = (int32_t)(base + q);
        } else if (value != 0.0f) {
            return -1;
        }
    }
    return count;
}

#if RBM_HAVE_AVX2_PATH
/// compress[mask] lists the set bits of mask in ascending order (the lanes to keep).
static int32_t compress_table[256][8];

void rbm_prepare_index_lists_avx2(void) {
    for (int mask = 0; mask < 256; mask++) {
        int lane = 0;
        for (int bit = 0; bit < 8; bit++)
            if (mask & (1 << bit)) compress_table[mask][lane++] = bit;
        for (; lane < 8; lane++) compress_table[mask][lane] = 0;
    }
}

/// The same as `scan_row_portable`, eight entries at a time. Needs 8 spare slots in `indices`.
__attribute__((target("avx2")))
static long scan_row_avx2(const float *row, long width, int32_t base, int32_t *indices, long count) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    long q = 0;
    for (; q + 8 <= width; q += 8) {
        __m256 values = _mm256_loadu_ps(row + q);
        int ones = _mm256_movemask_ps(_mm256_cmp_ps(values, one, _CMP_EQ_OQ));
        int zeros = _mm256_movemask_ps(_mm256_cmp_ps(values, zero, _CMP_EQ_OQ));
        if ((ones | zeros) != 0xFF) return -1;
        __m256i lanes = _mm256_loadu_si256((const __m256i *)compress_table[ones]);
        __m256i kept = _mm256_add_epi32(lanes, _mm256_set1_epi32((int32_t)(base + q)));
        _mm256_storeu_si256((__m256i *)(indices + count), kept);
        count += __builtin_popcount((unsigned)ones);
    }
    return scan_row_portable(row + q, width - q, (int32_t)(base + q), indices, count);
}
#endif

/// Fills `scratch` with op(A)'s rows as index lists. Returns 1, or 0 when A is not 0/1, when
/// more than `limit` entries are 1, or when memory runs out.
static int build_lists(int transpose_a, long m, long k, const float *a, long lda, long limit, int avx2) {
    if (!rbm_reserve_int32(&scratch.offsets, &scratch.offset_capacity, (size_t)m + 1)) return 0;
    int32_t *offsets = scratch.offsets;
    if (!transpose_a) {
        // Row i of op(A) is stored row i: scan it straight into the list.
        if (!rbm_reserve_int32(&scratch.indices, &scratch.index_capacity, (size_t)(limit + k + 8))) return 0;
        long count = 0;
        offsets[0] = 0;
        for (long i = 0; i < m; i++) {
#if RBM_HAVE_AVX2_PATH
            count = avx2 ? scan_row_avx2(a + i * lda, k, 0, scratch.indices, count)
                         : scan_row_portable(a + i * lda, k, 0, scratch.indices, count);
#else
            count = scan_row_portable(a + i * lda, k, 0, scratch.indices, count);
#endif
            if (count < 0 || count > limit) return 0;
            offsets[i + 1] = (int32_t)count;
        }
        return 1;
    }
    // Row i of op(A) is stored column i: scan the k stored rows (width m) into a row-ordered
    // list first, count each column's ones, then place the entries by column (a counting sort,
    // which keeps each column's q ascending).
    size_t needed = (size_t)(limit + m + 8);
    if (!rbm_reserve_int32(&scratch.indices, &scratch.index_capacity, 2 * needed)) return 0;
    int32_t *by_row = scratch.indices + needed;
    memset(offsets, 0, ((size_t)m + 1) * sizeof(int32_t));
    long count = 0;
    // Stored row q's entries end at by_row[row_ends[q]].
    if (!rbm_reserve_int32(&scratch.row_ends, &scratch.row_end_capacity, (size_t)k)) return 0;
    int32_t *row_ends = scratch.row_ends;
    for (long q = 0; q < k; q++) {
#if RBM_HAVE_AVX2_PATH
        count = avx2 ? scan_row_avx2(a + q * lda, m, 0, by_row, count)
                     : scan_row_portable(a + q * lda, m, 0, by_row, count);
#else
        count = scan_row_portable(a + q * lda, m, 0, by_row, count);
#endif
        if (count < 0 || count > limit) return 0;
        row_ends[q] = (int32_t)count;
    }
    for (long t = 0; t < count; t++) offsets[by_row[t] + 1] += 1;
    for (long i = 0; i < m; i++) offsets[i + 1] += offsets[i];
    // Place by column, ascending q; `offsets[i]` serves as column i's cursor and is restored after.
    long start = 0;
    for (long q = 0; q < k; q++) {
        for (long t = start; t < row_ends[q]; t++) scratch.indices[offsets[by_row[t]]++] = (int32_t)q;
        start = row_ends[q];
    }
    for (long i = m; i > 0; i--) offsets[i] = offsets[i - 1];
    offsets[0] = 0;
    return 1;
}

const rbm_index_lists *rbm_build_index_lists(int transpose_a, long m, long k, const float *a, long lda, long limit,
                                             int avx2) {
    return build_lists(transpose_a, m, k, a, lda, limit, avx2) ? &scratch : NULL;
}
