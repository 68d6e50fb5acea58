// The index lists of a 0/1 operand (binary_lists.c), private to the kernels.
#ifndef RBM_BINARY_LISTS_H
#define RBM_BINARY_LISTS_H

#include <stdint.h>
#include <stddef.h>

typedef struct rbm_index_lists rbm_index_lists;
struct rbm_index_lists {
    int32_t *offsets;   // m + 1: row i's list is indices[offsets[i] ..< offsets[i + 1]]
    int32_t *indices;   // the inner indices q with A[i, q] = 1, ascending, + 8 spare
    int32_t *row_ends;  // transposed A: where each stored row's entries end in the row-ordered list
    size_t offset_capacity, index_capacity, row_end_capacity;
};

/// Once per process, before the AVX2 scan is used: its table of compressed lanes.
void rbm_prepare_index_lists_avx2(void);

/// op(A)'s rows (A stored k × m when `transpose_a`) as index lists in the calling thread's
/// scratch; NULL when an entry is neither 0 nor 1, when more than `limit` are 1, or when memory
/// runs out. Valid until the thread's next call.
const rbm_index_lists *rbm_build_index_lists(int transpose_a, long m, long k, const float *a, long lda, long limit,
                                             int avx2);

#endif
