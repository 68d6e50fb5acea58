#ifndef RBM_BINARY_REFERENCES_H
#define RBM_BINARY_REFERENCES_H

// Reference rows for the sums of rows (binary_products.c; not for Swift).
//
// A row a of op(A) (0/1, width k) can be summed from a reference row r whose product r·B is
// formed once for all rows: a·B = r·B + Σ_{q: a_q = 1, r_q = 0} B[q, :] − Σ_{q: a_q = 0, r_q = 1} B[q, :],
// which reads as many rows of B as a and r differ in. Two references are offered to every row:
// the majority row (r_q = 1 where more than half of op(A)'s rows have a 1 in column q) and the
// row of all ones. One-hot (categorical) units are where they pay: each group's background
// state is on in most rows, so a sample differs from the majority row in two columns per
// group that is not in its background state where it holds one 1 per group; and in the
// statistic, a background column of op(A) = [v⁰; vᵏ]ᵀ is the sum of all rows but its few 0s.

#include <stdint.h>
#include <stdlib.h>

/// Grows a scratch buffer of int32 to hold `count` (with room to spare). 0 when memory runs out.
static inline int rbm_reserve_int32(int32_t **buffer, size_t *capacity, size_t count) {
    if (*capacity >= count) return 1;
    size_t size = count + count / 2 + 64;
    int32_t *grown = realloc(*buffer, size * sizeof(int32_t));
    if (!grown) return 0;
    *buffer = grown;
    *capacity = size;
    return 1;
}

/// The terms of one row of op(A): its sum starts from the reference's product (none: from 0),
/// adds B's rows at `plus` in order, then subtracts B's rows at `minus` in order.
typedef struct {
    const int32_t *plus;
    int32_t plus_count;
    const int32_t *minus;
    int32_t minus_count;
    int reference;   // 0: none (start from 0), 1: the majority row, 2: the row of all ones
} rbm_row_terms;

/// The plan for one product: which rows use which reference, and their terms.
typedef struct {
    int active;                 // 0: no row uses a reference (every row sums its ones from 0)
    int uses_majority, uses_all;
    const int32_t *majority;    // the majority row's columns, ascending
    int32_t majority_count;
    const int32_t *all;         // 0 ..< k (the row of all ones), when uses_all
    const int32_t *row_plan;    // per row: reference, plus start, plus count, minus start, minus count
    const int32_t *terms;       // the plus and minus lists
    const int32_t *offsets;     // the rows' lists of ones (as given), for rows without a reference
    const int32_t *indices;
} rbm_reference_plan;

/// Plans references for op(A) (m rows of width k) given as its rows' ascending lists of ones
/// (`indices[offsets[i] ..< offsets[i + 1]]`). A row takes a reference only when that reads at
/// most three quarters of the rows of B its ones would, and a reference is used only when the
/// rows that take it save more reads than forming its product costs. The plan depends on op(A)'s
/// values alone; an operand with fewer than 4 (k + m) ones is not planned. Returns NULL when
/// memory runs out. `column_ends`, when not NULL, gives each column's ones as a running total
/// (column q's count is column_ends[q] − column_ends[q − 1]), saving a pass over the lists.
const rbm_reference_plan *rbm_plan_references(long m, long k, const int32_t *offsets, const int32_t *indices,
                                              const int32_t *column_ends);

/// Row i's terms under `plan`.
static inline rbm_row_terms rbm_terms_of_row(const rbm_reference_plan *plan, long i) {
    rbm_row_terms row;
    if (!plan->active) {
        row.plus = plan->indices + plan->offsets[i];
        row.plus_count = plan->offsets[i + 1] - plan->offsets[i];
        row.minus = row.plus;
        row.minus_count = 0;
        row.reference = 0;
        return row;
    }
    const int32_t *entry = plan->row_plan + 5 * i;
    row.reference = entry[0];
    row.plus = plan->terms + entry[1];
    row.plus_count = entry[2];
    row.minus = plan->terms + entry[3];
    row.minus_count = entry[4];
    return row;
}

#endif
