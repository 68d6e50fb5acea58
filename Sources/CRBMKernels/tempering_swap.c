// The hidden terms of parallel tempering's swap log ratio, eight units at a time with AVX2 and
// FMA (see tempering_swap.h). softplus(y) = max(y, 0) + log(1 + e^(−|y|)): e^z by the Cephes
// polynomial (relative error below 2·10⁻⁷), log z for z in (1, 2] by Cephes' logf polynomial
// after one halving (relative error below 2·10⁻⁷; the rounding of 1 + u costs at most 6·10⁻⁸
// absolute). No bit-for-bit twin is needed: only the error bound matters to the caller.

#include "tempering_swap.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>

// e^x for x ≤ 0 (clamped below at −87).
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 exp_nonpositive(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    const __m256 magic = _mm256_set1_ps(0x1.8p+23f);
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.63p-1f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-0x1.bd0106p-13f), r);
    __m256 p = _mm256_set1_ps(0x1.a0d2cep-13f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.6e879cp-10f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.11121p-7f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.555382p-5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.555554p-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1p-1f));
    __m256 polynomial = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i integer_n = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(integer_n, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(polynomial, _mm256_castsi256_ps(exponent));
}

// log z for z in [1, 2]: z = 2^e·m with m in [√½, √2), e = 0 or 1.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 log_one_to_two(__m256 z) {
    __m256 large = _mm256_cmp_ps(z, _mm256_set1_ps(1.41421354f), _CMP_GT_OQ);
    __m256 m = _mm256_blendv_ps(z, _mm256_mul_ps(z, _mm256_set1_ps(0.5f)), large);
    __m256 e = _mm256_and_ps(large, _mm256_set1_ps(1.0f));
    __m256 x = _mm256_sub_ps(m, _mm256_set1_ps(1.0f));
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(7.0376836292e-2f);
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(-1.1514610310e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.1676998740e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(-1.2420140846e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.4249322787e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(-1.6668057665e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(2.0000714765e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(-2.4999993993e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(3.3333331174e-1f));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(x, x2), p);
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_fnmadd_ps(_mm256_set1_ps(0.5f), x2, y);
    return _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), _mm256_add_ps(x, y));
}

__attribute__((target("avx2,fma"), always_inline))
static inline __m256 softplus(__m256 y) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 negative_absolute = _mm256_or_ps(y, sign);
    __m256 u = exp_nonpositive(negative_absolute);
    return _mm256_add_ps(_mm256_max_ps(y, _mm256_setzero_ps()), log_one_to_two(_mm256_add_ps(u, _mm256_set1_ps(1.0f))));
}

__attribute__((target("avx2,fma")))
static double sum_lanes(__m256 v) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return (double)_mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps(quarter, quarter, 1)));
}

__attribute__((target("avx2,fma")))
static long swap_terms_avx2(const float *xs, const float *xt, const float *c, long count, float bs, float bt,
                            const float *own_first_in, float *own_second_out, float *crossed_second_out,
                            double *sum, double *magnitude) {
    const long vectors = count / 8 * 8;
    const __m256 beta_s = _mm256_set1_ps(bs), beta_t = _mm256_set1_ps(bt);
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    double total = 0, total_magnitude = 0;
    long index = 0;
    while (index < vectors) {
        __m256 block = _mm256_setzero_ps(), block_magnitude = _mm256_setzero_ps();
        for (int in_block = 0; in_block < 8 && index < vectors; in_block++, index += 8) {
            __m256 bias = _mm256_loadu_ps(c + index);
            __m256 first = _mm256_add_ps(_mm256_loadu_ps(xs + index), bias);
            __m256 second = _mm256_add_ps(_mm256_loadu_ps(xt + index), bias);
            __m256 crossed_first = softplus(_mm256_mul_ps(beta_s, second));
            __m256 crossed_second = softplus(_mm256_mul_ps(beta_t, first));
            // softplus(β_s·x_s) is the same value the previous pair computed, when it is given.
            __m256 own_first = own_first_in ? _mm256_loadu_ps(own_first_in + index) : softplus(_mm256_mul_ps(beta_s, first));
            __m256 own_second = softplus(_mm256_mul_ps(beta_t, second));
            if (own_second_out) _mm256_storeu_ps(own_second_out + index, own_second);
            if (crossed_second_out) _mm256_storeu_ps(crossed_second_out + index, crossed_second);
            __m256 crossed = _mm256_add_ps(crossed_first, crossed_second), own = _mm256_add_ps(own_first, own_second);
            block = _mm256_add_ps(block, _mm256_sub_ps(crossed, own));
            __m256 absolute = _mm256_add_ps(_mm256_andnot_ps(sign, first), _mm256_andnot_ps(sign, second));
            block_magnitude = _mm256_add_ps(block_magnitude,
                                            _mm256_add_ps(_mm256_add_ps(crossed, own), _mm256_fmadd_ps(beta_s, absolute, one)));
        }
        total += sum_lanes(block);
        total_magnitude += sum_lanes(block_magnitude);
    }
    *sum = total;
    *magnitude = total_magnitude;
    return vectors;
}


__attribute__((target("avx2,fma")))
static long visible_terms_avx2(const float *vs, const float *vt, const float *b, long count,
                               double *sum, double *magnitude) {
    const long vectors = count / 8 * 8;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    double total = 0, total_magnitude = 0;
    long index = 0;
    while (index < vectors) {
        __m256 block = _mm256_setzero_ps(), block_magnitude = _mm256_setzero_ps();
        for (int in_block = 0; in_block < 8 && index < vectors; in_block++, index += 8) {
            __m256 bias = _mm256_loadu_ps(b + index);
            __m256 first = _mm256_loadu_ps(vs + index), second = _mm256_loadu_ps(vt + index);
            block = _mm256_fmadd_ps(bias, _mm256_sub_ps(second, first), block);
            __m256 absolute = _mm256_add_ps(_mm256_andnot_ps(sign, first), _mm256_andnot_ps(sign, second));
            block_magnitude = _mm256_fmadd_ps(_mm256_andnot_ps(sign, bias), absolute, block_magnitude);
        }
        total += sum_lanes(block);
        total_magnitude += sum_lanes(block_magnitude);
    }
    *sum = total;
    *magnitude = total_magnitude;
    return vectors;
}
#endif

long rbm_swap_hidden_terms(const float *xs, const float *xt, const float *c, long count, float bs, float bt,
                           const float *own_first, float *own_second, float *crossed_second,
                           double *sum, double *magnitude) {
    *sum = 0;
    *magnitude = 0;
#if defined(__x86_64__)
    if (!rbm_cpu_avx2_fma()) return 0;
    return swap_terms_avx2(xs, xt, c, count, bs, bt, own_first, own_second, crossed_second, sum, magnitude);
#else
    (void)xs; (void)xt; (void)c; (void)count; (void)bs; (void)bt; (void)own_first; (void)own_second; (void)crossed_second;
    return 0;
#endif
}

const char *rbm_swap_path(void) {
#if defined(__x86_64__)
    return rbm_cpu_avx2_fma() ? "avx2" : "portable";
#else
    return "portable";
#endif
}

long rbm_swap_visible_terms(const float *vs, const float *vt, const float *b, long count, double *sum, double *magnitude) {
    *sum = 0;
    *magnitude = 0;
#if defined(__x86_64__)
    if (!rbm_cpu_avx2_fma()) return 0;
    return visible_terms_avx2(vs, vt, b, count, sum, magnitude);
#else
    (void)vs; (void)vt; (void)b; (void)count;
    return 0;
#endif
}
