// Σ_groups logsumexp over one-hot groups in double precision (categorical_log_sum.h): the inner
// loop of a categorical model's exact log Z, 2^n_hidden × groups log-sum-exps. glibc's exp and
// log took ~50 ns a group; this takes the exponentials four groups at a time and one log per
// block of groups.
#pragma clang fp contract(off)

#include "categorical_log_sum.h"
#include "cpu_features.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static _Thread_local int portable_only = 0;
void rbm_categorical_log_sum_portable(int portable) { portable_only = portable; }

// e^x for −700 ≤ x ≤ 0: x = k·ln 2 + r with k = round(x / ln 2) (ties to even) and |r| ≤ ln 2 / 2
// (ln 2 in two parts, the first with 21 trailing zero bits so that k·ln2_hi is exact), e^r by
// its Taylor series to r¹³ (the next term is below 4·10⁻¹⁸ of e^r) in Horner's form, times 2^k
// set in the exponent bits.
static const double inverse_ln2 = 1.44269504088896338700e+00;
static const double ln2_hi = 6.93147180369123816490e-01;
static const double ln2_lo = 1.90821492927058770002e-10;
static const double floor_argument = -700.0;
static const double taylor[14] = {
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
    1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
};

static double exp_nonpositive(double x) {
    if (x != x) return x;   // NaN (a diverged model): no integer conversion of it
    x = x < floor_argument ? floor_argument : x;
    double k = nearbyint(x * inverse_ln2);
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = taylor[13];
    for (int n = 12; n >= 0; n--) p = p * r + taylor[n];
    uint64_t bits = (uint64_t)((int64_t)k + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/// The groups' Σ m and log Π T, carried across calls of the block loop.
typedef struct {
    double largest_sum, log_products, product;
    long in_block, block;
} log_sum_state;

static inline void add_group(log_sum_state *state, double largest, double total) {
    state->largest_sum += largest;
    state->product *= total;
    if (++state->in_block == state->block) {
        state->log_products += log(state->product);
        state->product = 1.0;
        state->in_block = 0;
    }
}

/// One group: m = max t (the first of equals; NaN never taken), T from state 0 up.
static void one_group(const float *a, const float *bias, long states, log_sum_state *state) {
    double largest = (double)bias[0] + (double)a[0];
    for (long s = 1; s < states; s++) {
        double t = (double)bias[s] + (double)a[s];
        largest = t > largest ? t : largest;
    }
    double total = 0.0;
    for (long s = 0; s < states; s++) total += exp_nonpositive(((double)bias[s] + (double)a[s]) - largest);
    add_group(state, largest, total);
}

#if defined(__x86_64__)
/// exp_nonpositive in each lane, by the same operations.
__attribute__((target("avx2"), always_inline))
static inline __m256d exp_nonpositive4(__m256d x) {
    x = _mm256_blendv_pd(x, _mm256_set1_pd(floor_argument), _mm256_cmp_pd(x, _mm256_set1_pd(floor_argument), _CMP_LT_OQ));
    __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(inverse_ln2)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(k, _mm256_set1_pd(ln2_hi))),
                              _mm256_mul_pd(k, _mm256_set1_pd(ln2_lo)));
    __m256d p = _mm256_set1_pd(taylor[13]);
    for (int n = 12; n >= 0; n--) p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(taylor[n]));
    __m256i exponent = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k));
    __m256i bits = _mm256_slli_epi64(_mm256_add_epi64(exponent, _mm256_set1_epi64x(1023)), 52);
    return _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
}

enum { most_vector_states = 64 };

/// Groups g … g + 3, lane i holding group g + i (at most `most_vector_states` states); then each
/// lane's group added in group order.
__attribute__((target("avx2")))
static void four_groups(const float *a, const float *bias, long states, log_sum_state *state) {
    __m256d t[most_vector_states];
    for (long s = 0; s < states; s++) {
        double values[4];
        for (int i = 0; i < 4; i++) values[i] = (double)bias[i * states + s] + (double)a[i * states + s];
        t[s] = _mm256_loadu_pd(values);
    }
    __m256d largest = t[0];
    for (long s = 1; s < states; s++) largest = _mm256_blendv_pd(largest, t[s], _mm256_cmp_pd(t[s], largest, _CMP_GT_OQ));
    __m256d total = _mm256_setzero_pd();
    for (long s = 0; s < states; s++) total = _mm256_add_pd(total, exp_nonpositive4(_mm256_sub_pd(t[s], largest)));
    double largests[4], totals[4];
    _mm256_storeu_pd(largests, largest);
    _mm256_storeu_pd(totals, total);
    for (int i = 0; i < 4; i++) add_group(state, largests[i], totals[i]);
}
#endif

double rbm_categorical_log_sum(const float *a, const float *bias, long groups, long states) {
    if (groups <= 0 || states <= 0) return 0.0;
    log_sum_state state = {0.0, 0.0, 1.0, 0, 1};
    long block = states > 1 ? (long)(1000.0 / log2((double)states)) : 1000;
    state.block = block < 1 ? 1 : block;
    long g = 0;
#if defined(__x86_64__)
    if (!portable_only && states <= most_vector_states && rbm_cpu_avx2()) {
        for (; g + 4 <= groups; g += 4) four_groups(a + g * states, bias + g * states, states, &state);
    }
#endif
    for (; g < groups; g++) one_group(a + g * states, bias + g * states, states, &state);
    if (state.in_block > 0) state.log_products += log(state.product);
    return state.largest_sum + state.log_products;
}
