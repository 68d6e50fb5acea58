// Box–Muller eight pairs at a time, the twin of `GaussianUnits.sample` (see box_muller.h):
// log by Cephes' logf polynomial (`Logistic.log8`), cos and sin of turns by Cephes' sinf and
// cosf on a quarter-turn reduction (`Logistic.cosSinOfTurns8`). Every constant is the Swift
// code's float (hex literals, the same bits) and every operation the same IEEE one in the same
// order, so the draws equal the Swift code's bit for bit.
#pragma clang fp contract(off)

#include "box_muller.h"
#include "cpu_features.h"

/// 1 to draw with the Swift code's twin in C only, on this thread (tests: the two paths give the
/// same bits, without changing what other threads — other tests running at once — compute).
static _Thread_local int portable_only = 0;

void rbm_box_muller_portable_only(int only) { portable_only = only; }

#if defined(__x86_64__)
#include <immintrin.h>

#define MUL _mm256_mul_ps
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define SET _mm256_set1_ps

/// log z of positive normal floats: z = 2^e·m, m in (√½, √2], then
/// log(2^e·(1 + x)) = x + (x·x²·P(x) + e·(−2.1219444e-4) − x²/2) + e·0.693359375.
__attribute__((target("avx2"), always_inline))
static inline __m256 log8(__m256 z) {
    __m256i bits = _mm256_castps_si256(z);
    __m256i exponent = _mm256_sub_epi32(_mm256_srai_epi32(bits, 23), _mm256_set1_epi32(126));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
                                                   _mm256_set1_epi32(0x3F000000)));
    __m256 small = _mm256_cmp_ps(m, SET(0x1.6a09e6p-1f), _CMP_LE_OQ);                     // m ≤ √½
    exponent = _mm256_sub_epi32(exponent, _mm256_and_si256(_mm256_castps_si256(small), _mm256_set1_epi32(1)));
    m = _mm256_blendv_ps(m, ADD(m, m), small);
    __m256 e = _mm256_cvtepi32_ps(exponent);                                               // exact: |e| < 2²⁴
    __m256 x = SUB(m, SET(1.0f));
    __m256 x2 = MUL(x, x);
    __m256 p = SET(0x1.204376p-4f);
    p = SUB(MUL(p, x), SET(0x1.d7a37p-4f));
    p = ADD(MUL(p, x), SET(0x1.de4a34p-4f));
    p = SUB(MUL(p, x), SET(0x1.fcba9ep-4f));
    p = ADD(MUL(p, x), SET(0x1.23d37ep-3f));
    p = SUB(MUL(p, x), SET(0x1.555cap-3f));
    p = ADD(MUL(p, x), SET(0x1.999d58p-3f));
    p = SUB(MUL(p, x), SET(0x1.fffff8p-3f));
    p = ADD(MUL(p, x), SET(0x1.555554p-2f));
    __m256 y = MUL(MUL(x, x2), p);
    y = ADD(y, MUL(e, SET(-0x1.bd0106p-13f)));
    y = SUB(y, MUL(SET(0.5f), x2));
    return ADD(ADD(x, y), MUL(e, SET(0x1.63p-1f)));
}

/// (cos 2πt, sin 2πt) for t in [0, 1): the nearest quarter turn q/4, a = 2π(t − q/4), Cephes'
/// polynomials, then the quadrant q mod 4 swaps and signs them.
__attribute__((target("avx2"), always_inline))
static inline void cos_sin_of_turns8(__m256 t, __m256 *cos_out, __m256 *sin_out) {
    const __m256 magic = SET(0x1.8p+23f);                                                  // 1.5·2²³
    __m256 shifted = ADD(MUL(t, SET(4.0f)), magic);
    __m256 quarter = SUB(shifted, magic);
    __m256i quadrant = _mm256_and_si256(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic)),
                                        _mm256_set1_epi32(3));
    __m256 a = MUL(SUB(t, MUL(quarter, SET(0.25f))), SET(0x1.921fb6p+2f));
    __m256 a2 = MUL(a, a);
    __m256 sine = SET(-0x1.9943f2p-13f);
    sine = ADD(MUL(sine, a2), SET(0x1.11073cp-7f));
    sine = SUB(MUL(sine, a2), SET(0x1.555546p-3f));
    sine = ADD(MUL(MUL(sine, a2), a), a);
    __m256 cosine = SET(0x1.99eb9cp-16f);
    cosine = SUB(MUL(cosine, a2), SET(0x1.6c0c34p-10f));
    cosine = ADD(MUL(cosine, a2), SET(0x1.55554ap-5f));
    cosine = ADD(SUB(MUL(MUL(cosine, a2), a2), MUL(SET(0.5f), a2)), SET(1.0f));
    const __m256i one = _mm256_set1_epi32(1), two = _mm256_set1_epi32(2);
    __m256 swapped = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(quadrant, one), one));
    __m256 cos_turn = _mm256_blendv_ps(cosine, sine, swapped);
    __m256 sin_turn = _mm256_blendv_ps(sine, cosine, swapped);
    const __m256 sign = SET(-0.0f);
    __m256 negate_cos = _mm256_castsi256_ps(_mm256_or_si256(_mm256_cmpeq_epi32(quadrant, one),
                                                            _mm256_cmpeq_epi32(quadrant, two)));
    __m256 negate_sin = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(quadrant, two), two));
    *cos_out = _mm256_xor_ps(cos_turn, _mm256_and_ps(negate_cos, sign));
    *sin_out = _mm256_xor_ps(sin_turn, _mm256_and_ps(negate_sin, sign));
}

__attribute__((target("avx2")))
static void blocks_avx2(const float *uniforms, const float *means, long blocks, float *output) {
    for (long block = 0; block < blocks; block++) {
        const long start = 16 * block;
        __m256 low = _mm256_loadu_ps(uniforms + start), high = _mm256_loadu_ps(uniforms + start + 8);
        // Within each 128-bit lane: [u0 u2 u8 u10 | u4 u6 u12 u14] and [u1 u3 u9 u11 | u5 u7 u13 u15];
        // unpacking the results the same way puts units 0–7 and 8–15 back in order.
        __m256 radius_uniforms = _mm256_shuffle_ps(low, high, _MM_SHUFFLE(2, 0, 2, 0));
        __m256 angle_uniforms = _mm256_shuffle_ps(low, high, _MM_SHUFFLE(3, 1, 3, 1));
        __m256 radius = _mm256_sqrt_ps(MUL(SET(-2.0f), log8(SUB(SET(1.0f), radius_uniforms))));
        __m256 cosine, sine;
        cos_sin_of_turns8(angle_uniforms, &cosine, &sine);
        __m256 even = MUL(radius, cosine), odd = MUL(radius, sine);
        __m256 first = ADD(_mm256_loadu_ps(means + start), _mm256_unpacklo_ps(even, odd));
        __m256 second = ADD(_mm256_loadu_ps(means + start + 8), _mm256_unpackhi_ps(even, odd));
        _mm256_storeu_ps(output + start, first);
        _mm256_storeu_ps(output + start + 8, second);
    }
}
#endif

int rbm_box_muller_blocks(const float *uniforms, const float *means, long blocks, float *output) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2() || portable_only) return 0;
    blocks_avx2(uniforms, means, blocks, output);
    return 1;
#else
    (void)uniforms; (void)means; (void)blocks; (void)output;
    return 0;
#endif
}
