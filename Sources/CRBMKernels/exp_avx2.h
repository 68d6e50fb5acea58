// e^x eight at a time, the twin of `Logistic.exp8` (MathFunctions.swift): e^y by the Cephes
// polynomial, y clamped to [−87, 88], y = n·ln2 + r, e^y = 2ⁿ·(1 + r + r²·P(r)). Every constant is
// the Swift code's float (hex literals, the same bits) and every operation the same IEEE one in
// the same order, so results equal it bit for bit. Private to the kernels that include it, which
// compile with `fp contract(off)`.
#ifndef RBM_EXP_AVX2_H
#define RBM_EXP_AVX2_H
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"), always_inline))
static inline __m256 exp8(__m256 input) {
    const __m256 low = _mm256_set1_ps(-0x1.5cp+6f), high = _mm256_set1_ps(0x1.6p+6f);   // −87, 88
    // Clamped as Swift's `replacing(with:where:)` does: a NaN compares false and stays.
    __m256 x = _mm256_blendv_ps(input, low, _mm256_cmp_ps(input, low, _CMP_LT_OQ));
    x = _mm256_blendv_ps(x, high, _mm256_cmp_ps(x, high, _CMP_GT_OQ));
    const __m256 magic = _mm256_set1_ps(0x1.8p+23f);                                     // 1.5·2²³
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(0x1.715476p+0f)), magic);  // log₂e
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0x1.63p-1f)));           // 0.693359375
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(-0x1.bd0106p-13f)));            // −2.1219444e-4
    __m256 p = _mm256_set1_ps(0x1.a0d2cep-13f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0x1.6e879cp-10f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0x1.11121p-7f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0x1.555382p-5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0x1.555554p-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0x1p-1f));
    // p·r·r + r + 1, left to right.
    __m256 polynomial = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), _mm256_set1_ps(1.0f));
    __m256i integer_n = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(integer_n, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(polynomial, _mm256_castsi256_ps(exponent));
}

#endif
#endif
