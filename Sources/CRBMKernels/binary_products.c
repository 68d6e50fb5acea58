// Products whose left operand is a 0/1 matrix (sampled binary units), as sums of rows.
//
// op(A)·B with A ∈ {0,1}^(m×k): row i of the product is Σ_{q : A[i,q] = 1} B[q, :], so a row of
// sampled visible units times W costs (number of units on) × n additions instead of k × n
// multiply-adds. Both paths below add, for every element of C, the same rows of B in ascending
// order starting from 0 (or from a reference row's sum, adding and then subtracting rows:
// binary_references.h), then form alpha·sum (+ beta·C) with separate multiplies and an add:
// their results are equal to the bit.
#pragma clang fp contract(off)

#include "binary_products.h"
#include "binary_references.h"
#include "binary_lists.h"

#include <string.h>
#include <pthread.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define RBM_HAVE_AVX2_PATH 1
#endif

/// 1 to take the portable path, on this thread (tests: both paths give the same bits, without
/// changing what other threads — other tests running at once — compute or report).
static _Thread_local int force_portable = 0;

void rbm_binary_gemm_force_portable(int force) { force_portable = force; }

#if RBM_HAVE_AVX2_PATH
static int cpu_avx2 = 0;

/// Once per process: whether the CPU has AVX2 (and, if so, the list builder's table).
static void initialize(void) {
    __builtin_cpu_init();
    cpu_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (cpu_avx2) rbm_prepare_index_lists_avx2();
}

static pthread_once_t initialized = PTHREAD_ONCE_INIT;

static int cpu_has_avx2(void) {
    pthread_once(&initialized, initialize);
    return cpu_avx2;
}
#endif

static int use_avx2(void) {
#if RBM_HAVE_AVX2_PATH
    return !force_portable && cpu_has_avx2();
#else
    return 0;
#endif
}

const char *rbm_binary_gemm_path(void) { return use_avx2() ? "avx2" : "portable"; }

// MARK: - Sums of rows

/// With `step` set, the momentum rule's rest on the new C (= Δ): Δ ← Δ − decay·θ, θ ← θ + Δ;
/// centred (`column_sums` set), Δ_ij ← Δ_ij − alpha·(row_offsets_i·column_sums_j +
/// row_sums_i·column_offsets_j) first (centering's correction of the statistic, scaled).
typedef struct {
    float *parameters;   // θ, rows `ldp` floats apart; NULL: no step
    long ldp;
    float decay;
    const float *row_offsets, *row_sums, *column_sums, *column_offsets;   // NULL: not centred
} momentum_step;

/// The centring of element (i, j), in the order both paths use.
#define RBM_CENTRING(step, i, j) \
    ((step).row_offsets[i] * (step).column_sums[j] + (step).row_sums[i] * (step).column_offsets[j])

/// The references' products: the majority row's and the all-ones row's sums of B's rows, n
/// floats each (thread-local scratch).
static _Thread_local float *reference_sums;
static _Thread_local size_t reference_capacity;

static float *reserve_reference_sums(long n) {
    if (reference_capacity >= (size_t)(2 * n)) return reference_sums;
    float *grown = realloc(reference_sums, (size_t)(2 * n) * sizeof(float));
    if (!grown) abort();
    reference_sums = grown;
    reference_capacity = (size_t)(2 * n);
    return grown;
}

/// Where row `terms` starts from: 0 (NULL) or its reference's sum.
static inline const float *start_of(rbm_row_terms terms, const float *sums, long n) {
    return terms.reference == 0 ? NULL : sums + (terms.reference == 1 ? 0 : n);
}

/// C[i, :] = alpha · (start + Σ_{q in plus} B[q, :] − Σ_{q in minus} B[q, :]) (+ beta · C[i, :]),
/// one element at a time; `start` is 0 or the row's reference sum (a row without a reference:
/// its ones from 0, in ascending order).
static void gather_portable(const rbm_reference_plan *plan, long m, long n, float alpha, const float *b, long ldb,
                            float beta, float *c, long ldc, momentum_step step, const float *references) {
    float stack[512];
    float *sums = n <= 512 ? stack : malloc((size_t)n * sizeof(float));
    if (!sums) abort();
    for (long i = 0; i < m; i++) {
        rbm_row_terms terms = rbm_terms_of_row(plan, i);
        const float *start = start_of(terms, references, n);
        for (long j = 0; j < n; j++) sums[j] = start ? start[j] : 0.0f;
        for (int32_t t = 0; t < terms.plus_count; t++) {
            const float *row = b + (long)terms.plus[t] * ldb;
            for (long j = 0; j < n; j++) sums[j] = sums[j] + row[j];
        }
        for (int32_t t = 0; t < terms.minus_count; t++) {
            const float *row = b + (long)terms.minus[t] * ldb;
            for (long j = 0; j < n; j++) sums[j] = sums[j] - row[j];
        }
        float *out = c + i * ldc;
        if (beta == 0.0f) {
            for (long j = 0; j < n; j++) out[j] = alpha * sums[j];
        } else {
            for (long j = 0; j < n; j++) out[j] = alpha * sums[j] + beta * out[j];
        }
        if (step.parameters) {
            float *theta = step.parameters + i * step.ldp;
            for (long j = 0; j < n; j++) {
                float value = step.column_sums ? out[j] - alpha * RBM_CENTRING(step, i, j) : out[j];
                float delta = value - step.decay * theta[j];
                out[j] = delta;
                theta[j] = theta[j] + delta;
            }
        }
    }
    if (sums != stack) free(sums);
}

#if RBM_HAVE_AVX2_PATH
/// One tile of `vectors` × 8 columns (the last vector masked by `tail`), summed in registers:
/// from `start` (NULL: 0), plus the rows at `plus`, minus the rows at `minus`.
__attribute__((target("avx2"), always_inline))
static inline void gather_tile(rbm_row_terms terms, const float *start, const float *b, long ldb, int vectors,
                               int masked, __m256i tail, float alpha, float beta, float *out,
                               float *theta, float decay, int referenced, const float *column_sums,
                               const float *column_offsets, float row_offset, float row_sum) {
    __m256 sums[8];
    for (int v = 0; v < 8; v++) sums[v] = _mm256_setzero_ps();
    if (referenced && start) {
        for (int v = 0; v < vectors; v++)
            sums[v] = masked && v == vectors - 1 ? _mm256_maskload_ps(start + 8 * v, tail) : _mm256_loadu_ps(start + 8 * v);
    }
    for (int32_t t = 0; t < terms.plus_count; t++) {
        const float *row = b + (long)terms.plus[t] * ldb;
        for (int v = 0; v < 8; v++) {
            if (v < vectors - 1 || (v == vectors - 1 && !masked))
                sums[v] = _mm256_add_ps(sums[v], _mm256_loadu_ps(row + 8 * v));
            else if (v == vectors - 1)
                sums[v] = _mm256_add_ps(sums[v], _mm256_maskload_ps(row + 8 * v, tail));
        }
    }
    for (int32_t t = 0; referenced && t < terms.minus_count; t++) {
        const float *row = b + (long)terms.minus[t] * ldb;
        for (int v = 0; v < 8; v++) {
            if (v < vectors - 1 || (v == vectors - 1 && !masked))
                sums[v] = _mm256_sub_ps(sums[v], _mm256_loadu_ps(row + 8 * v));
            else if (v == vectors - 1)
                sums[v] = _mm256_sub_ps(sums[v], _mm256_maskload_ps(row + 8 * v, tail));
        }
    }
    const __m256 scale = _mm256_set1_ps(alpha), keep = _mm256_set1_ps(beta);
    const __m256 shrink = _mm256_set1_ps(decay);
    const __m256 mu = _mm256_set1_ps(row_offset), visible_sum = _mm256_set1_ps(row_sum);
    for (int v = 0; v < vectors; v++) {
        __m256 result = _mm256_mul_ps(scale, sums[v]);
        if (masked && v == vectors - 1) {
            if (beta != 0.0f)
                result = _mm256_add_ps(result, _mm256_mul_ps(keep, _mm256_maskload_ps(out + 8 * v, tail)));
            if (theta && column_sums) {
                __m256 centring = _mm256_add_ps(_mm256_mul_ps(mu, _mm256_maskload_ps(column_sums + 8 * v, tail)),
                    _mm256_mul_ps(visible_sum, _mm256_maskload_ps(column_offsets + 8 * v, tail)));
                result = _mm256_sub_ps(result, _mm256_mul_ps(scale, centring));
            }
            if (theta) {
                __m256 parameter = _mm256_maskload_ps(theta + 8 * v, tail);
                result = _mm256_sub_ps(result, _mm256_mul_ps(shrink, parameter));
                _mm256_maskstore_ps(theta + 8 * v, tail, _mm256_add_ps(parameter, result));
            }
            _mm256_maskstore_ps(out + 8 * v, tail, result);
        } else {
            if (beta != 0.0f)
                result = _mm256_add_ps(result, _mm256_mul_ps(keep, _mm256_loadu_ps(out + 8 * v)));
            if (theta && column_sums) {
                __m256 centring = _mm256_add_ps(_mm256_mul_ps(mu, _mm256_loadu_ps(column_sums + 8 * v)),
                    _mm256_mul_ps(visible_sum, _mm256_loadu_ps(column_offsets + 8 * v)));
                result = _mm256_sub_ps(result, _mm256_mul_ps(scale, centring));
            }
            if (theta) {
                __m256 parameter = _mm256_loadu_ps(theta + 8 * v);
                result = _mm256_sub_ps(result, _mm256_mul_ps(shrink, parameter));
                _mm256_storeu_ps(theta + 8 * v, _mm256_add_ps(parameter, result));
            }
            _mm256_storeu_ps(out + 8 * v, result);
        }
    }
}

#define RBM_GATHER_TILE(VECTORS, MASKED) \
    gather_tile(terms, start ? start + j : NULL, b + j, ldb, VECTORS, MASKED, tail, alpha, beta, out + j, \
                theta ? theta + j : NULL, step.decay, referenced, centred ? step.column_sums + j : NULL, \
                centred ? step.column_offsets + j : NULL, row_offset, row_sum)

/// The rows of C, row by row, 64 columns (eight vectors) at a time: each row of C reads its rows
/// of B whole. `referenced` and `centred` are constants in each caller: `referenced` 0 for a plan
/// without references, whose rows then run the plain sums' loop with no start and no minus list;
/// `centred` 1 for the centred momentum step (`step` has a θ).
///
/// When B's k × n floats exceed the L1 cache (32 KB) but its rows over 32 columns fit it (k ≤ 256,
/// as in a batch-100 statistic's 200 stacked rows: 25.6 KB), C is formed a tile of 32 columns
/// (four vectors) at a time instead, every row of C before the next tile, so those rows of B stay
/// in L1 while all of C's rows sum them. Each element's sum is the same sequence of operations in
/// either order and width, so the choice changes no bit. Measured on 2 cores of an AMD EPYC
/// (Zen 4, 1 MB L2), alternating 5-epoch runs of centred PCD-1 784 → 500 on one shard × 2 hidden
/// blocks (its statistic is 784 × 250 from k = 200), the five best epochs of 25: 63.6–67.3k
/// samples/s row by row, 65.8–70.5k with the statistic by tiles. Tiling every product as well
/// measured 66.0–73.2k on 2 workers, but one worker's CD-1, PCD-1 and tempering (v·W, k = 784)
/// ran 3–10 % slower by tiles; and where B fits L1 whole (the seed's batch-5 statistic, k = 10)
/// tiles only repeat each row's set-up, 5–10 % slower. So those stay row by row.
__attribute__((target("avx2"), always_inline))
static inline void gather_rows_avx2(const rbm_reference_plan *plan, long m, long n, long k, float alpha,
                                    const float *b, long ldb, float beta, float *c, long ldc, momentum_step step,
                                    const float *references, int referenced, int centred) {
    const __m256i all = _mm256_set1_epi32(-1);
    // Row i's terms, its start, its rows of C and θ, and its centring terms.
#define RBM_ROW_SETUP \
        rbm_row_terms terms = rbm_terms_of_row(plan, i); \
        const float *start = referenced ? start_of(terms, references, n) : NULL; \
        float *out = c + i * ldc; \
        float *theta = step.parameters ? step.parameters + i * step.ldp : NULL; \
        const float row_offset = centred ? step.row_offsets[i] : 0.0f, row_sum = centred ? step.row_sums[i] : 0.0f;
    // The last `rest` columns from `j` (fewer than a tile): whole vectors and one masked by `tail`.
#define RBM_GATHER_REST \
        { \
            const int vectors = (int)((rest + 7) / 8); \
            const int last = (int)(rest - 8 * (vectors - 1)); \
            const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(last), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
            switch (vectors) { \
            case 1: RBM_GATHER_TILE(1, 1); break; \
            case 2: RBM_GATHER_TILE(2, 1); break; \
            case 3: RBM_GATHER_TILE(3, 1); break; \
            case 4: RBM_GATHER_TILE(4, 1); break; \
            case 5: RBM_GATHER_TILE(5, 1); break; \
            case 6: RBM_GATHER_TILE(6, 1); break; \
            case 7: RBM_GATHER_TILE(7, 1); break; \
            default: RBM_GATHER_TILE(8, 1); break; \
            } \
        }
    const long l1 = 32 * 1024;
    if (k * 32 * (long)sizeof(float) <= l1 && k * n * (long)sizeof(float) > l1) {
        const long full = n - n % 32;
        for (long j = 0; j < full; j += 32) {
            for (long i = 0; i < m; i++) {
                RBM_ROW_SETUP
                const __m256i tail = all;
                RBM_GATHER_TILE(4, 0);
            }
        }
        const long rest = n - full, j = full;
        if (rest == 0) return;
        for (long i = 0; i < m; i++) {
            RBM_ROW_SETUP
            RBM_GATHER_REST
        }
        return;
    }
    for (long i = 0; i < m; i++) {
        RBM_ROW_SETUP
        long j = 0;
        for (; j + 64 <= n; j += 64) {
            const __m256i tail = all;
            RBM_GATHER_TILE(8, 0);
        }
        const long rest = n - j;
        if (rest == 0) continue;
        RBM_GATHER_REST
    }
#undef RBM_GATHER_REST
#undef RBM_ROW_SETUP
}

__attribute__((target("avx2")))
static void gather_avx2(const rbm_reference_plan *plan, long m, long n, long k, float alpha, const float *b, long ldb,
                        float beta, float *c, long ldc, momentum_step step, const float *references) {
    const int centred = step.parameters && step.column_sums;
    if (plan->active && centred) gather_rows_avx2(plan, m, n, k, alpha, b, ldb, beta, c, ldc, step, references, 1, 1);
    else if (plan->active) gather_rows_avx2(plan, m, n, k, alpha, b, ldb, beta, c, ldc, step, references, 1, 0);
    else if (centred) gather_rows_avx2(plan, m, n, k, alpha, b, ldb, beta, c, ldc, step, NULL, 0, 1);
    else gather_rows_avx2(plan, m, n, k, alpha, b, ldb, beta, c, ldc, step, NULL, 0, 0);
}
#endif

/// The sum of B's rows at `list` (ascending, from 0) into `out`: a reference's product, by the
/// path the rows use.
static void sum_rows(const int32_t *list, int32_t count, const float *b, long ldb, long n, float *out, int avx2) {
    int32_t offsets[2] = {0, count};
    rbm_reference_plan single;
    memset(&single, 0, sizeof single);
    single.offsets = offsets;
    single.indices = list;
    momentum_step none = {NULL, 0, 0.0f, NULL, NULL, NULL, NULL};
#if RBM_HAVE_AVX2_PATH
    if (avx2) {
        gather_avx2(&single, 1, n, count, 1.0f, b, ldb, 0.0f, out, n, none, NULL);
        return;
    }
#endif
    (void)avx2;
    gather_portable(&single, 1, n, 1.0f, b, ldb, 0.0f, out, n, none, NULL);
}

static int binary_gemm(int transpose_a, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb,
                       float beta, float *c, long ldc, float max_density, momentum_step step) {
    if (m <= 0 || n <= 0 || k <= 0 || k > INT32_MAX || m > INT32_MAX) return 0;
    double allowed = (double)max_density * (double)m * (double)k;
    if (allowed > (double)INT32_MAX) return 0;
    int avx2 = use_avx2();
    const rbm_index_lists *lists = rbm_build_index_lists(transpose_a, m, k, a, lda, (long)allowed, avx2);
    if (!lists) return 0;
    // Transposed, the stored rows are op(A)'s columns: their running ends are its column counts.
    const rbm_reference_plan *plan = rbm_plan_references(m, k, lists->offsets, lists->indices,
                                                         transpose_a ? lists->row_ends : NULL);
    if (!plan) return 0;
    float *references = NULL;
    if (plan->active) {
        references = reserve_reference_sums(n);
        if (plan->uses_majority) sum_rows(plan->majority, plan->majority_count, b, ldb, n, references, avx2);
        if (plan->uses_all) sum_rows(plan->all, (int32_t)k, b, ldb, n, references + n, avx2);
    }
#if RBM_HAVE_AVX2_PATH
    if (avx2) {
        gather_avx2(plan, m, n, k, alpha, b, ldb, beta, c, ldc, step, references);
        return 1;
    }
#endif
    gather_portable(plan, m, n, alpha, b, ldb, beta, c, ldc, step, references);
    return 1;
}

int rbm_binary_gemm(int transpose_a, long m, long n, long k, float alpha,
                    const float *a, long lda, const float *b, long ldb,
                    float beta, float *c, long ldc, float max_density) {
    momentum_step none = {NULL, 0, 0.0f, NULL, NULL, NULL, NULL};
    return binary_gemm(transpose_a, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, max_density, none);
}

int rbm_binary_gemm_momentum(int transpose_a, long m, long n, long k, float alpha,
                             const float *a, long lda, const float *b, long ldb,
                             float beta, float *velocity, long ldv,
                             float *parameters, long ldp, float decay,
                             const float *row_offsets, const float *row_sums,
                             const float *column_sums, const float *column_offsets, float max_density) {
    momentum_step step = {parameters, ldp, decay, row_offsets, row_sums, column_sums, column_offsets};
    if (!row_offsets || !row_sums || !column_sums || !column_offsets) {
        step.row_offsets = step.row_sums = step.column_sums = step.column_offsets = NULL;
    }
    return binary_gemm(transpose_a, m, n, k, alpha, a, lda, b, ldb, beta, velocity, ldv, max_density, step);
}
