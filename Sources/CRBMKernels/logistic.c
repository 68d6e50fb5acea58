// σ(x) = 1 / (1 + e^(−x)) eight at a time, the twin of `Logistic.applyWithBias`
// (MathFunctions.swift), with e^x by `exp8` (exp_avx2.h): every operation the Swift code's
// IEEE one in the same order, so results equal it bit for bit.
#pragma clang fp contract(off)

#include "logistic.h"
#include "cpu_features.h"
#include "exp_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2")))
static void logistic_avx2(float *values, long rows, long columns, const float *bias) {
    const long vector_columns = columns / 8 * 8;
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    for (long row = 0; row < rows; row++) {
        float *out = values + row * columns;
        for (long column = 0; column < vector_columns; column += 8) {
            __m256 x = _mm256_add_ps(_mm256_loadu_ps(out + column), _mm256_loadu_ps(bias + column));
            __m256 e = exp8(_mm256_xor_ps(x, sign));
            _mm256_storeu_ps(out + column, _mm256_div_ps(one, _mm256_add_ps(one, e)));
        }
    }
}

__attribute__((target("avx2")))
static void exp_avx2(float *values, long count) {
    for (long index = 0; index + 8 <= count; index += 8) _mm256_storeu_ps(values + index, exp8(_mm256_loadu_ps(values + index)));
}

__attribute__((target("avx2")))
static void tempered_avx2(float *values, long columns, const float *bias, float beta) {
    const long vector_columns = columns / 8 * 8;
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f), scale = _mm256_set1_ps(beta);
    for (long column = 0; column < vector_columns; column += 8) {
        __m256 x = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(values + column), _mm256_loadu_ps(bias + column)), scale);
        __m256 e = exp8(_mm256_xor_ps(x, sign));
        _mm256_storeu_ps(values + column, _mm256_div_ps(one, _mm256_add_ps(one, e)));
    }
}
#endif

int rbm_logistic_tempered(float *values, long columns, const float *bias, float beta) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2()) return 0;
    tempered_avx2(values, columns, bias, beta);
    return 1;
#else
    (void)values; (void)columns; (void)bias; (void)beta;
    return 0;
#endif
}

int rbm_logistic_with_bias(float *values, long rows, long columns, const float *bias) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2()) return 0;
    logistic_avx2(values, rows, columns, bias);
    return 1;
#else
    (void)values; (void)rows; (void)columns; (void)bias;
    return 0;
#endif
}

int rbm_exp_in_place(float *values, long count) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2()) return 0;
    exp_avx2(values, count);
    return 1;
#else
    (void)values; (void)count;
    return 0;
#endif
}
