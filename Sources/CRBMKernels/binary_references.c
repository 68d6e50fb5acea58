// Reference rows for the sums of rows: which rows of op(A) are summed from the majority row or
// from the row of all ones, and their lists of rows of B to add and to subtract
// (binary_references.h).
#include "binary_references.h"
#include "binary_products.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int references_enabled = 1;
static pthread_once_t read_environment = PTHREAD_ONCE_INIT;
/// This thread's choice (-1: the process's), so that a test can turn references off without
/// changing what products on other threads compute.
static _Thread_local int thread_choice = -1;

/// RBM_BINARY_REFERENCES=off turns the references off for the process (comparisons).
static void apply_environment(void) {
    const char *value = getenv("RBM_BINARY_REFERENCES");
    if (value && strcmp(value, "off") == 0) references_enabled = 0;
}

void rbm_binary_gemm_use_references(int enabled) { thread_choice = enabled < 0 ? -1 : (enabled ? 1 : 0); }

int rbm_binary_gemm_uses_references(void) {
    if (thread_choice >= 0) return thread_choice;
    pthread_once(&read_environment, apply_environment);
    return references_enabled;
}

typedef struct {
    rbm_reference_plan plan;
    int32_t *counts;      // k: ones per column of op(A), then 1 where the column is in the majority row
    int32_t *columns;     // k: the majority row's columns, then 0 ..< k
    int32_t *shared;      // m: each row's ones in the majority row
    int32_t *row_plan;    // 5 per row
    int32_t *terms;
    int32_t *marks;       // k: 1 at the columns of the row being planned, else 0
    size_t counts_capacity, columns_capacity, shared_capacity, row_plan_capacity, terms_capacity, marks_capacity;
} plan_scratch;

static _Thread_local plan_scratch scratch;

/// Row i's cheapest start among those allowed: 0 (its ones), 1 (the majority row, `shared`
/// of its ones in that row), 2 (all ones); a reference only where it reads ≤ ¾ of the rows.
static int choose(long ones, long shared, long majority_count, long k, int allow_majority, int allow_all,
                  long *cost) {
    long best_cost = ones;
    int best = 0;
    long with_majority = ones + majority_count - 2 * shared;
    if (allow_majority && 4 * with_majority <= 3 * ones && with_majority < best_cost) {
        best = 1;
        best_cost = with_majority;
    }
    long with_all = k - ones;
    if (allow_all && 4 * with_all <= 3 * ones && with_all < best_cost) {
        best = 2;
        best_cost = with_all;
    }
    *cost = best_cost;
    return best;
}

const rbm_reference_plan *rbm_plan_references(long m, long k, const int32_t *offsets, const int32_t *indices,
                                              const int32_t *column_ends) {
    rbm_reference_plan *plan = &scratch.plan;
    memset(plan, 0, sizeof *plan);
    plan->offsets = offsets;
    plan->indices = indices;
    if (!rbm_binary_gemm_uses_references()) return plan;
    // Planning reads every column and row once: below about four ones per column and row it
    // costs more than the few rows it could save (the seed's batch of 5: 13 % slower, measured).
    long total = offsets[m];
    if (total < 4 * (k + m)) return plan;
    if (!rbm_reserve_int32(&scratch.counts, &scratch.counts_capacity, (size_t)k)) return NULL;
    if (!rbm_reserve_int32(&scratch.columns, &scratch.columns_capacity, 2 * (size_t)k)) return NULL;
    if (!rbm_reserve_int32(&scratch.shared, &scratch.shared_capacity, (size_t)m)) return NULL;
    int32_t *counts = scratch.counts, *shared = scratch.shared;
    long most_ones = 0;
    for (long i = 0; i < m; i++) {
        long ones = offsets[i + 1] - offsets[i];
        if (ones > most_ones) most_ones = ones;
    }
    // A glance at the first rows before counting them all: where their own majority columns
    // hold under a fifth of their ones (binarized digits: a few central pixels), no reference
    // will pay, and the full count (a pass over every 1) is skipped.
    const long glance = 16;
    if (!column_ends && m >= 2 * glance && 7 * most_ones < 4 * k) {
        memset(counts, 0, (size_t)k * sizeof(int32_t));
        long seen = offsets[glance], in_majority = 0;
        for (long t = 0; t < seen; t++) counts[indices[t]] += 1;
        for (long t = 0; t < seen; t++) in_majority += 2 * counts[indices[t]] > glance;
        if (5 * in_majority < seen) return plan;
    }
    if (column_ends) {
        for (long q = 0; q < k; q++) counts[q] = column_ends[q] - (q == 0 ? 0 : column_ends[q - 1]);
    } else {
        memset(counts, 0, (size_t)k * sizeof(int32_t));
        for (long t = 0; t < total; t++) counts[indices[t]] += 1;
    }
    long majority_count = 0;
    for (long q = 0; q < k; q++) {
        int in_majority = 2 * (long)counts[q] > m;
        counts[q] = in_majority;
        if (in_majority) scratch.columns[majority_count++] = (int32_t)q;
    }
    // No majority row and no row with ones enough for the all-ones row to pay: as it was.
    if (majority_count == 0 && 7 * most_ones < 4 * k) return plan;
    for (long i = 0; i < m; i++) {
        long in_majority = 0;
        if (majority_count > 0)
            for (int32_t t = offsets[i]; t < offsets[i + 1]; t++) in_majority += counts[indices[t]];
        shared[i] = (int32_t)in_majority;
    }
    // Which references pay: first with both allowed, then without any whose rows save no more
    // reads than forming its product costs (majority_count rows of B, or k); and only when the
    // whole product then reads at most ⅘ of the rows the plain sums would (below that, the
    // planning's own passes and the subtractions' extra traffic eat the gain: measured).
    int allow_majority = majority_count > 0, allow_all = 1;
    long planned = total;
    for (int pass = 0; pass < 3; pass++) {
        long saved_majority = 0, saved_all = 0;
        planned = 0;
        for (long i = 0; i < m; i++) {
            long ones = offsets[i + 1] - offsets[i], cost;
            int reference = choose(ones, shared[i], majority_count, k, allow_majority, allow_all, &cost);
            if (reference == 1) saved_majority += ones - cost;
            if (reference == 2) saved_all += ones - cost;
            planned += cost;
        }
        int keep_majority = allow_majority && saved_majority > majority_count;
        int keep_all = allow_all && saved_all > k;
        planned += (keep_majority ? majority_count : 0) + (keep_all ? k : 0);
        if (keep_majority == allow_majority && keep_all == allow_all) break;
        allow_majority = keep_majority;
        allow_all = keep_all;
    }
    if ((!allow_majority && !allow_all) || 5 * planned > 4 * total) return plan;

    // The terms: a row with a reference lists what it adds to and takes from that row.
    if (!rbm_reserve_int32(&scratch.row_plan, &scratch.row_plan_capacity, 5 * (size_t)m)) return NULL;
    if (!rbm_reserve_int32(&scratch.terms, &scratch.terms_capacity, (size_t)total + 8)) return NULL;
    if (allow_majority && !rbm_reserve_int32(&scratch.marks, &scratch.marks_capacity, (size_t)k)) return NULL;
    int32_t *row_plan = scratch.row_plan, *terms = scratch.terms, *marks = scratch.marks;
    if (allow_majority) memset(marks, 0, (size_t)k * sizeof(int32_t));
    long used = 0;
    int any_majority = 0, any_all = 0;
    for (long i = 0; i < m; i++) {
        const int32_t *list = indices + offsets[i];
        long ones = offsets[i + 1] - offsets[i], cost;
        int reference = choose(ones, shared[i], majority_count, k, allow_majority, allow_all, &cost);
        int32_t *entry = row_plan + 5 * i;
        entry[0] = reference;
        entry[1] = (int32_t)used;
        if (reference == 0) {
            memcpy(terms + used, list, (size_t)ones * sizeof(int32_t));
            used += ones;
            entry[2] = (int32_t)ones;
            entry[3] = (int32_t)used;
            entry[4] = 0;
        } else if (reference == 1) {
            // Written without branches on the data (each candidate stored, the count moved on
            // when it belongs: the branches mispredicted on one-hot rows, a quarter of the plan's
            // time); terms has room for the one store past the end.
            any_majority = 1;
            long plus = 0, minus = 0;
            for (long s = 0; s < ones; s++) {
                terms[used + plus] = list[s];
                plus += !counts[list[s]];
            }
            entry[2] = (int32_t)plus;
            used += plus;
            entry[3] = (int32_t)used;
            // The majority columns this row lacks, ascending: its own columns marked, then read.
            for (long s = 0; s < ones; s++) marks[list[s]] = 1;
            for (long s = 0; s < majority_count; s++) {
                int32_t q = scratch.columns[s];
                terms[used + minus] = q;
                minus += !marks[q];
            }
            for (long s = 0; s < ones; s++) marks[list[s]] = 0;
            entry[4] = (int32_t)minus;
            used += minus;
        } else {
            any_all = 1;
            entry[2] = 0;
            entry[3] = (int32_t)used;
            long minus = 0, t = 0;
            for (int32_t q = 0; q < k; q++) {
                if (t < ones && list[t] == q) { t++; continue; }
                terms[used + minus++] = q;
            }
            entry[4] = (int32_t)minus;
            used += minus;
        }
    }
    for (long q = 0; q < k; q++) scratch.columns[k + q] = (int32_t)q;
    plan->active = 1;
    plan->uses_majority = any_majority;
    plan->uses_all = any_all;
    plan->majority = scratch.columns;
    plan->majority_count = (int32_t)majority_count;
    plan->all = scratch.columns + k;
    plan->row_plan = row_plan;
    plan->terms = terms;
    return plan;
}
